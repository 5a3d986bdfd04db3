"""The outreach backends, and `make_backend`, which builds the configured one or says what is
missing. Call it at start-up so a bad configuration fails before anyone clicks."""

from __future__ import annotations

import logging

from clv.outreach.message import (
    OutreachBackend,
    OutreachConfigError,
    OutreachMessage,
    OutreachSendError,
)
from clv.outreach.smtp import SmtpBackend
from clv.outreach.webhook import WebhookBackend
from clv.settings import Settings

log = logging.getLogger(__name__)


class LogBackend:
    """Records the outreach and sends nothing (the default: nothing leaves by surprise)."""

    name = "log"
    needs_email = False

    def send(self, message: OutreachMessage) -> str:
        log.info(
            "outreach %d for customer %s recorded (log backend: nothing sent)",
            message.outreach_id,
            message.customer_key,
        )
        return f"log:{message.outreach_id}"


def make_backend(settings: Settings) -> OutreachBackend:
    """The backend `OUTREACH_BACKEND` names, checked: raises `OutreachConfigError` naming the
    missing setting."""
    if settings.outreach_backend == "smtp":
        return _smtp_backend(settings)
    if settings.outreach_backend == "webhook":
        return _webhook_backend(settings)
    return LogBackend()


def _smtp_backend(settings: Settings) -> SmtpBackend:
    needs = "OUTREACH_BACKEND=smtp needs"
    if not settings.smtp_from.strip():
        raise OutreachConfigError(f"{needs} SMTP_FROM, the sender address of the email")
    if not settings.smtp_host.strip():
        raise OutreachConfigError(f"{needs} SMTP_HOST, the SMTP server")
    if not settings.outreach_unsubscribe_url.strip():
        raise OutreachConfigError(
            f"{needs} OUTREACH_UNSUBSCRIBE_URL, the unsubscribe link every email carries "
            "({email} and {customer_id} are filled in)"
        )
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
    if settings.smtp_user and not password:
        raise OutreachConfigError("SMTP_USER is set but SMTP_PASSWORD is empty")
    return SmtpBackend(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        user=settings.smtp_user,
        password=password,
        starttls=settings.smtp_starttls,
    )


def _webhook_backend(settings: Settings) -> WebhookBackend:
    needs = "OUTREACH_BACKEND=webhook needs"
    url = settings.outreach_webhook_url.strip()
    if not url:
        raise OutreachConfigError(f"{needs} OUTREACH_WEBHOOK_URL, where the event is POSTed")
    if not url.startswith(("https://", "http://")):
        raise OutreachConfigError("OUTREACH_WEBHOOK_URL must be an http(s):// URL")
    secret = settings.outreach_webhook_secret
    if secret is None or not secret.get_secret_value():
        raise OutreachConfigError(
            f"{needs} OUTREACH_WEBHOOK_SECRET, the key the event is signed with"
        )
    return WebhookBackend(
        url=url,
        secret=secret.get_secret_value(),
        timeout=settings.outreach_webhook_timeout_seconds,
        retries=settings.outreach_webhook_retries,
    )


def safe_error(exc: BaseException, settings: Settings) -> str:
    """`exc` as text fit for the audit row and the user: secrets blanked, length capped."""
    text = str(exc) if isinstance(exc, OutreachSendError) else f"{type(exc).__name__}: {exc}"
    secrets = [settings.outreach_webhook_url] + [
        secret.get_secret_value()
        for secret in (
            settings.smtp_password,
            settings.outreach_webhook_secret,
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_app_token,
        )
        if secret is not None
    ]
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:400]


__all__ = ["LogBackend", "SmtpBackend", "WebhookBackend", "make_backend", "safe_error"]
