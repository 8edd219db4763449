"""Alerts as a delivery (issue 35): a failed run's alert survives a webhook that is down for a
while, says the cause in one line and whether a retry is queued, links to the run in this
deployment's UI, and a retry that succeeds sends "recovered". A local HTTP server on
127.0.0.1 stands in for the webhook."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import pytest

from dagster_project.alerts import AlertCursor, AlertResource, alert_on_run_failure


@dg.op
def boom():
    raise RuntimeError("disk on fire")


@dg.job
def failing_job():
    boom()


@dg.op
def fine():
    return 1


@dg.job
def fine_job():
    fine()


class _Collector(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 - the http.server name
        length = int(self.headers["Content-Length"])
        self.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):  # quiet
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def _tick(instance, alerts, cursor):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"alerts": alerts})
    alert_on_run_failure(context)
    return context.cursor


def test_an_alert_survives_a_webhook_down_for_two_ticks_and_arrives_once_with_its_cause(instance, monkeypatch):
    monkeypatch.delenv("CONTINUITY_UI_URL", raising=False)
    monkeypatch.setenv("UI_PORT", "3111")  # `make ui UI_PORT=3111`: the link follows the UI's own address
    port = _free_port()
    alerts = AlertResource(webhook_url=f"http://127.0.0.1:{port}/hook")
    cursor = _tick(instance, alerts, None)  # switched on: nothing from before is alerted
    result = failing_job.execute_in_process(instance=instance, raise_on_error=False)
    # two ticks with nothing listening: the alert stays in the cursor
    for attempt in (1, 2):
        cursor = _tick(instance, alerts, cursor)
        [pending] = AlertCursor.parse(cursor).pending
        assert (pending.run_id, pending.attempts) == (result.run_id, attempt)
    _Collector.received = []
    server = HTTPServer(("127.0.0.1", port), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        cursor = _tick(instance, alerts, cursor)
        cursor = _tick(instance, alerts, cursor)  # delivered once: the next tick sends nothing
    finally:
        server.shutdown()
        server.server_close()
    [payload] = _Collector.received
    assert AlertCursor.parse(cursor).pending == []
    assert (payload["kind"], payload["job"], payload["run_id"]) == ("failure", "failing_job", result.run_id)
    assert payload["reason"] == "step boom failed: RuntimeError: disk on fire"
    assert payload["url"] == f"http://127.0.0.1:3111/runs/{result.run_id}"
    assert payload["retry"].startswith("No automatic retry is queued")
    assert "What to do: file:///" in payload["text"] and "docs/runbook.md#alerts" in payload["text"]


def test_an_alert_is_given_up_loudly_after_the_set_number_of_attempts(instance, caplog):
    alerts = AlertResource(webhook_url=f"http://127.0.0.1:{_free_port()}/hook", attempts=2)
    cursor = _tick(instance, alerts, None)
    failing_job.execute_in_process(instance=instance, raise_on_error=False)
    cursor = _tick(instance, alerts, cursor)
    with caplog.at_level("ERROR"):
        cursor = _tick(instance, alerts, cursor)
    assert AlertCursor.parse(cursor).pending == []
    assert any("given up after 2 attempts" in r.getMessage() for r in caplog.records)


def test_a_retry_that_succeeds_sends_the_failure_then_the_recovery(instance, monkeypatch):
    sent = []
    monkeypatch.setattr(AlertResource, "send", lambda self, subject, body, payload: sent.append(payload) or ["test"])
    alerts = AlertResource()
    cursor = _tick(instance, alerts, None)
    failed = failing_job.execute_in_process(instance=instance, raise_on_error=False, tags={"dagster/max_retries": "1"})
    cursor = _tick(instance, alerts, cursor)
    # the instance's automatic retry: a new run tagged with the failed one as its parent
    tags = {"dagster/parent_run_id": failed.run_id, "dagster/root_run_id": failed.run_id, "dagster/retry_number": "1"}
    retry = fine_job.execute_in_process(instance=instance, tags=tags)
    _tick(instance, alerts, cursor)
    assert [p["kind"] for p in sent] == ["failure", "recovered"]
    assert sent[1]["run_id"] == retry.run_id and failed.run_id in sent[1]["reason"]


def test_a_failed_run_emails_the_recipients(instance, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append((host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def send_message(self, message):
            sent.append((message["To"], message["Subject"], message.get_content()))

    monkeypatch.setattr("dagster_project.alerts.smtplib.SMTP", FakeSMTP)
    alerts = AlertResource(smtp_host="smtp.example", smtp_port=2525, email_to="a@example.org, b@example.org")
    cursor = _tick(instance, alerts, None)
    result = failing_job.execute_in_process(instance=instance, raise_on_error=False)
    _tick(instance, alerts, cursor)
    [(host, port), (to, subject, body)] = sent
    assert (host, port, to, subject) == (
        "smtp.example",
        2525,
        "a@example.org, b@example.org",
        "continuity: run of failing_job failed",
    )
    assert f"Run {result.run_id} of failing_job failed: step boom failed: RuntimeError: disk on fire" in body


def test_no_channel_configured_sends_nothing(monkeypatch):
    for name in ("CONTINUITY_ALERT_WEBHOOK", "CONTINUITY_SMTP_HOST", "CONTINUITY_ALERT_EMAIL_TO"):
        monkeypatch.delenv(name, raising=False)
    assert AlertResource().send("s", "b", {}) == []


def test_the_cause_of_a_killed_worker_and_of_a_blocked_gate_in_one_line():
    from types import SimpleNamespace

    from dagster_project.diagnosis import failure_reason

    killed = SimpleNamespace(
        event_type_value="PIPELINE_FAILURE",
        message="Run execution process for abc unexpectedly exited with exit code -9.",
        event_specific_data=None,
    )
    assert failure_reason([killed]).startswith("the run worker was killed (signal 9)")
    gate = SimpleNamespace(
        event_type_value="ASSET_CHECK_EVALUATION",
        event_specific_data=SimpleNamespace(
            passed=False,
            severity=SimpleNamespace(value="ERROR"),
            check_name="gate_c20_band",
            metadata={"summary": SimpleNamespace(value="national C20 2023/24 is 95.0% of 1,000 releases")},
            description="",
        ),
    )
    assert failure_reason([gate, killed]) == (
        "publication gate c20_band blocks: national C20 2023/24 is 95.0% of 1,000 releases"
    )
