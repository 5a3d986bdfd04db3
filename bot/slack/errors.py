"""Failures the user sees as a short apology with an id, and the log keeps in full."""

from __future__ import annotations

import logging
import re
import uuid

log = logging.getLogger("clvbot.slack")

_SECRET = re.compile(r"xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")


def log_failure(logger: logging.Logger, exc: BaseException, what: str) -> str:
    """Log `exc` with a fresh error id and return the id (shown to the user)."""
    error_id = uuid.uuid4().hex[:10]
    logger.error("error %s while %s: %r", error_id, what, exc, exc_info=exc)
    return error_id


class RedactSecrets(logging.Filter):
    """Blanks anything shaped like a Slack token in log records, whoever logs them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _SECRET.search(message):
            record.msg, record.args = _SECRET.sub("[redacted]", message), None
        return True
