"""The run-failure alert: a failed run posts to the configured webhook (a local HTTP server on
127.0.0.1 here) and emails the configured recipients."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg

from dagster_project.alerts import AlertResource, alert_on_run_failure


@dg.op
def boom():
    raise RuntimeError("disk on fire")


@dg.job
def failing_job():
    boom()


def _failed_run_context(alerts: AlertResource):
    instance = dg.DagsterInstance.ephemeral()
    result = failing_job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    return dg.build_run_status_sensor_context(
        sensor_name="alert_on_run_failure",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
        resources={"alerts": alerts},
    ).for_run_failure(), result.run_id


class _Collector(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 - the http.server name
        length = int(self.headers["Content-Length"])
        self.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):  # quiet
        pass


def test_a_failed_run_posts_an_alert_to_the_webhook():
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        alerts = AlertResource(webhook_url=url, ui_url="http://ui.example:3000/")
        context, run_id = _failed_run_context(alerts)
        alert_on_run_failure(context)
    finally:
        server.shutdown()
        server.server_close()
    [payload] = _Collector.received
    assert (payload["job"], payload["run_id"]) == ("failing_job", run_id)
    assert payload["url"] == f"http://ui.example:3000/runs/{run_id}"
    assert "failing_job" in payload["text"] and "docs/runbook.md" in payload["text"]
    # the failure event's message names the failed step
    assert "boom" in payload["reason"]


def test_a_failed_run_emails_the_recipients(monkeypatch):
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
    context, run_id = _failed_run_context(alerts)
    alert_on_run_failure(context)
    [(host, port), (to, subject, body)] = sent
    assert (host, port, to, subject) == (
        "smtp.example",
        2525,
        "a@example.org, b@example.org",
        "continuity: run of failing_job failed",
    )
    assert f"Run {run_id} of failing_job failed" in body


def test_no_channel_configured_sends_nothing():
    assert AlertResource().send("s", "b", {}) == []
