"""Alerts: a failed run, and a failed run's retry that succeeded, reach someone, and say why.

An alert is a delivery: the sensor `alert_on_run_failure` keeps in its cursor the time of the
last run it has read and the alerts not yet delivered. Each tick it reads the runs that ended
since then (a failed run gives a failure alert; a successful retry of a failed run gives a
"recovered" alert), then tries every undelivered alert. An alert that fails (the webhook is
down, the mail server refuses) stays in the cursor and is tried again next tick, up to
CONTINUITY_ALERT_ATTEMPTS ticks; then it is given up with an error in the sensor's log and
the daemon's. The body says the cause in one line (dagster_project/diagnosis.py), whether an
automatic retry is queued, and an absolute link to the run in this deployment's UI.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage

import dagster as dg
from pydantic import Field

from pipelines.contract import PROJECT_DIR
from pipelines.settings import Settings

RUNBOOK = PROJECT_DIR / "docs" / "runbook.md"
PARENT_TAG, ROOT_TAG, RETRIES_TAG, RETRY_NUMBER_TAG = (
    "dagster/parent_run_id",
    "dagster/root_run_id",
    "dagster/max_retries",
    "dagster/retry_number",
)
daemon_log = logging.getLogger("dagster.continuity.alerts")


class AlertResource(dg.ConfigurableResource):
    """Where alerts go. Every field empty (0 for numbers) means this deployment's setting
    (CONTINUITY_ALERT_*, CONTINUITY_SMTP_*, CONTINUITY_UI_URL: docs/settings.md); with no
    channel configured an alert is only logged."""

    webhook_url: str = Field(default="", description="A URL that receives each alert as a JSON POST.")
    smtp_host: str = Field(default="", description="SMTP server for alert emails (empty: no email).")
    smtp_port: int = Field(default=0, description="SMTP port (0: the deployment's, 25 by default).")
    email_from: str = Field(default="", description="The sender of alert emails.")
    email_to: str = Field(default="", description="Comma-separated recipients of alert emails.")
    ui_url: str = Field(default="", description="The Dagster UI's address, for the link to the run.")
    attempts: int = Field(default=0, description="Ticks an alert is tried on before it is given up.")

    @property
    def settings(self) -> Settings:
        return Settings.from_env(
            alert_webhook=self.webhook_url,
            smtp_host=self.smtp_host,
            smtp_port=self.smtp_port or None,
            email_from=self.email_from,
            email_to=self.email_to,
            ui_url=self.ui_url,
            alert_attempts=self.attempts or None,
        )

    def send(self, subject: str, body: str, payload: dict) -> list[str]:
        """Send to every configured channel; return the channels used. Raises when a channel
        fails, so the alert is tried again."""
        settings, sent = self.settings, []
        if settings.alert_webhook:
            data = json.dumps({"text": f"{subject}\n{body}", **payload}).encode()
            request = urllib.request.Request(
                settings.alert_webhook, data=data, headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=10):
                sent.append("webhook")
        if settings.smtp_host and settings.email_to:
            message = EmailMessage()
            message["Subject"], message["From"], message["To"] = subject, settings.email_from, settings.email_to
            message.set_content(body)
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
                smtp.send_message(message)
            sent.append("email")
        return sent


@dataclass
class Alert:
    """One alert to deliver: a failed run, or the successful retry of one."""

    kind: str  # failure | recovered
    run_id: str
    job: str
    cause: str
    retry: str = ""  # whether an automatic retry is queued, in words
    attempts: int = 0

    def message(self, ui: str) -> tuple[str, str, dict]:
        link = f"{ui}/runs/{self.run_id}"
        if self.kind == "recovered":
            subject = f"continuity: run of {self.job} recovered"
            body = f"Run {self.run_id} of {self.job} succeeded: {self.cause}\nEvent log: {link}"
        else:
            subject = f"continuity: run of {self.job} failed"
            body = (
                f"Run {self.run_id} of {self.job} failed: {self.cause}\n{self.retry}\nEvent log: {link}\n"
                f"What to do: {RUNBOOK.as_uri()}#alerts"
            )
        payload = {"kind": self.kind, "job": self.job, "run_id": self.run_id, "reason": self.cause}
        return subject, body, payload | {"retry": self.retry, "url": link}


@dataclass
class AlertCursor:
    """The sensor's memory: runs are read after `since` (epoch seconds); `pending` are alerts
    found but not yet delivered."""

    since: float | None = None
    pending: list[Alert] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str | None) -> AlertCursor:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(data.get("since"), [Alert(**a) for a in data.get("pending", [])])

    def dump(self) -> str:
        return json.dumps({"since": self.since, "pending": [asdict(a) for a in self.pending]})


def retry_words(run: dg.DagsterRun, instance: dg.DagsterInstance) -> str:
    """Whether an automatic retry of this failed run is queued (the job's dagster/max_retries
    and the instance's run_retries: dagster_home/dagster.yaml retries a crashed run only)."""
    children = instance.get_run_records(dg.RunsFilter(tags={PARENT_TAG: run.run_id}), limit=1)
    if children:
        return f"An automatic retry is queued: run {children[0].dagster_run.run_id}."
    allowed = int(run.tags.get(RETRIES_TAG, "0") or 0)
    done = int(run.tags.get(RETRY_NUMBER_TAG, "0") or 0)
    if allowed > done and instance.run_retries_enabled and not _data_failure(run, instance):
        return f"An automatic retry will be queued (retry {done + 1} of {allowed})."
    return "No automatic retry is queued: re-run it from the UI once the cause is fixed."


def _data_failure(run: dg.DagsterRun, instance: dg.DagsterInstance) -> bool:
    """A step failed (data, validation, a gate): the instance retries crashes only."""
    failed = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE, limit=1)
    return bool(failed.records) and not instance.run_retries_retry_on_asset_or_op_failure


def cause_of(run_id: str, instance: dg.DagsterInstance) -> str:
    from dagster_project.diagnosis import failure_reason

    events = [e.dagster_event for e in instance.all_logs(run_id) if e.dagster_event is not None]
    return failure_reason(events)


def alerts_for(record, instance: dg.DagsterInstance, alerted: set[str]) -> list[Alert]:
    """The alerts one finished run calls for."""
    run = record.dagster_run
    if run.status == dg.DagsterRunStatus.FAILURE:
        return [Alert("failure", run.run_id, run.job_name, cause_of(run.run_id, instance), retry_words(run, instance))]
    parent = run.tags.get(PARENT_TAG)
    if run.status == dg.DagsterRunStatus.SUCCESS and parent:
        root = run.tags.get(ROOT_TAG, parent)
        return [
            Alert(
                "recovered",
                run.run_id,
                run.job_name,
                f"it is the automatic retry of failed run {root}; that failure needs no action now",
            )
        ]
    return []


def deliver(pending: list[Alert], alerts: AlertResource, log) -> list[Alert]:
    """Try each alert once; return those still to deliver. An alert given up is logged loudly."""
    left, limit, ui = [], alerts.settings.alert_attempts, alerts.settings.ui_link
    for alert in pending:
        subject, body, payload = alert.message(ui)
        try:
            sent = alerts.send(subject, body, payload)
        except Exception as error:  # noqa: BLE001 - any channel failure: try again next tick
            alert.attempts += 1
            if alert.attempts >= limit:
                text = f"alert for run {alert.run_id} given up after {alert.attempts} attempts ({error}): {subject}"
                log.error(text)
                daemon_log.error(text)
            else:
                log.warning(f"alert for run {alert.run_id} not delivered ({error}); trying again next tick")
                left.append(alert)
            continue
        log.info(f"alert sent by {', '.join(sent)}: {subject}" if sent else f"no alert channel configured: {subject}")
    return left


FINISHED = [dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.SUCCESS]


@dg.sensor(
    name="alert_on_run_failure",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sends an alert (webhook and/or email, set on the alerts resource) when a run fails, and when a "
    "retry of a failed run succeeds; an alert not delivered is tried again on later ticks "
    "(CONTINUITY_ALERT_ATTEMPTS) before it is given up loudly.",
)
def alert_on_run_failure(context: dg.SensorEvaluationContext, alerts: AlertResource):
    cursor = AlertCursor.parse(context.cursor)
    now = datetime.now(UTC).timestamp()
    if cursor.since is None:  # switched on: alert from now on, not about the past
        cursor.since = now
    records = context.instance.get_run_records(
        dg.RunsFilter(statuses=FINISHED, updated_after=datetime.fromtimestamp(cursor.since, UTC)),
        order_by="update_timestamp",
        ascending=True,
    )
    known = {a.run_id for a in cursor.pending}
    for record in records:
        if record.dagster_run.run_id not in known:
            cursor.pending += alerts_for(record, context.instance, known)
        cursor.since = max(cursor.since, record.update_timestamp.timestamp())
    cursor.pending = deliver(cursor.pending, alerts, context.log)
    context.update_cursor(cursor.dump())
    if not records and not cursor.pending:
        return dg.SkipReason("no run has ended since the last tick")
    return dg.SkipReason(f"{len(records)} run(s) read; {len(cursor.pending)} alert(s) still to deliver")
