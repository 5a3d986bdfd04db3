"""One-click outreach to dormant customers: consent and cooldown policy, the atomic claim,
the delivery backends (log, smtp, webhook), and the experiment that measures what outreach
adds. No Slack here.

The names below are loaded when first used (PEP 562), so asking the policy whether a customer
may be contacted (`clvbot customer`) does not import the mail backends and their templates.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clv.outreach.backends import LogBackend, SmtpBackend, WebhookBackend, make_backend
    from clv.outreach.experiment import ExperimentReport, experiment_report
    from clv.outreach.message import (
        OutreachBackend,
        OutreachConfigError,
        OutreachMessage,
        OutreachSendError,
    )
    from clv.outreach.policy import Eligibility, outreach_eligibility
    from clv.outreach.service import OutreachResult, OutreachStatus, request_outreach

_MODULES = {
    "backends": ("LogBackend", "SmtpBackend", "WebhookBackend", "make_backend"),
    "message": ("OutreachBackend", "OutreachConfigError", "OutreachMessage", "OutreachSendError"),
    "policy": ("Eligibility", "outreach_eligibility"),
    "experiment": ("ExperimentReport", "experiment_report"),
    "service": ("OutreachResult", "OutreachStatus", "request_outreach"),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "Eligibility",
    "ExperimentReport",
    "LogBackend",
    "OutreachBackend",
    "OutreachConfigError",
    "OutreachMessage",
    "OutreachResult",
    "OutreachSendError",
    "OutreachStatus",
    "SmtpBackend",
    "WebhookBackend",
    "experiment_report",
    "make_backend",
    "outreach_eligibility",
    "request_outreach",
]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'clv.outreach' has no attribute {name!r}")
    return getattr(importlib.import_module(f"clv.outreach.{module}"), name)
