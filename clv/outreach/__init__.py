"""One-click outreach to dormant customers: consent and cooldown policy, the atomic claim,
the delivery backends (log, smtp, webhook) and the outcome of what was sent. No Slack here."""

from clv.outreach.backends import LogBackend, SmtpBackend, WebhookBackend, make_backend
from clv.outreach.message import (
    OutreachBackend,
    OutreachConfigError,
    OutreachMessage,
    OutreachSendError,
)
from clv.outreach.policy import Eligibility, outreach_eligibility
from clv.outreach.results import OutreachOutcome, outreach_outcomes
from clv.outreach.service import OutreachResult, OutreachStatus, request_outreach

__all__ = [
    "Eligibility",
    "LogBackend",
    "OutreachBackend",
    "OutreachConfigError",
    "OutreachMessage",
    "OutreachOutcome",
    "OutreachResult",
    "OutreachSendError",
    "OutreachStatus",
    "SmtpBackend",
    "WebhookBackend",
    "make_backend",
    "outreach_eligibility",
    "outreach_outcomes",
    "request_outreach",
]
