"""Alerts when a run fails: a JSON POST to a webhook and/or an email, both configured on the
`alerts` resource (CONTINUITY_ALERT_* variables), so a failed scheduled run reaches someone."""

from __future__ import annotations

import json
import smtplib
import urllib.request
from email.message import EmailMessage

import dagster as dg
from pydantic import Field


class AlertResource(dg.ConfigurableResource):
    """Where failure alerts go. Empty fields send nothing: an unconfigured instance only logs."""

    webhook_url: str = Field(default="", description="A URL that receives each alert as a JSON POST.")
    smtp_host: str = Field(default="", description="SMTP server for alert emails (empty: no email).")
    smtp_port: int = Field(default=25, description="SMTP port.")
    email_from: str = Field(default="continuity@localhost", description="The sender of alert emails.")
    email_to: str = Field(default="", description="Comma-separated recipients of alert emails.")
    ui_url: str = Field(default="http://127.0.0.1:3000", description="The Dagster UI, for the link to the run.")

    def send(self, subject: str, body: str, payload: dict) -> list[str]:
        """Send to every configured channel; return the channels used."""
        sent = []
        if self.webhook_url:
            data = json.dumps({"text": f"{subject}\n{body}", **payload}).encode()
            request = urllib.request.Request(self.webhook_url, data=data, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10):
                sent.append("webhook")
        if self.smtp_host and self.email_to:
            message = EmailMessage()
            message["Subject"], message["From"], message["To"] = subject, self.email_from, self.email_to
            message.set_content(body)
            with smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=10) as smtp:
                smtp.send_message(message)
            sent.append("email")
        return sent


def failure_alert(job_name: str, run_id: str, reason: str, ui_url: str) -> tuple[str, str, dict]:
    """The subject, body and JSON fields of one failure alert."""
    link = f"{ui_url.rstrip('/')}/runs/{run_id}"
    subject = f"continuity: run of {job_name} failed"
    body = f"Run {run_id} of {job_name} failed: {reason}\nEvent log: {link}\nWhat to do: docs/runbook.md"
    return subject, body, {"job": job_name, "run_id": run_id, "reason": reason, "url": link}


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sends an alert (webhook and/or email, set on the alerts resource) when any run of this code "
    "location fails.",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext, alerts: AlertResource) -> None:
    reason = context.failure_event.message or "the run failed"
    subject, body, payload = failure_alert(
        context.dagster_run.job_name, context.dagster_run.run_id, reason, alerts.ui_url
    )
    sent = alerts.send(subject, body, payload)
    context.log.info(f"alert sent by {', '.join(sent)}" if sent else "no alert channel configured: " + subject)
