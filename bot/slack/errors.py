"""Failures the user sees as a short message with an id, and the log keeps.

A store that is down, hung or locked is not a bug: the user hears that the store is not
answering, and the log gets one line. Anything else is logged in full under the id.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from bot.slack.render import render_apology, render_store_unavailable
from clv.store.health import is_store_unavailable, one_line


def log_failure(logger: logging.Logger, exc: BaseException, what: str) -> str:
    """Log `exc` with a fresh error id and return the id (shown to the user)."""
    error_id = uuid.uuid4().hex[:10]
    logger.error("error %s while %s: %r", error_id, what, exc, exc_info=exc)
    return error_id


def render_failure(logger: logging.Logger, exc: BaseException, what: str) -> dict[str, Any]:
    """The message for a failure while `what`: "the store is not answering" or an apology."""
    if is_store_unavailable(exc):
        error_id = uuid.uuid4().hex[:10]
        logger.warning("store unavailable (error %s) while %s: %s", error_id, what, one_line(exc))
        return render_store_unavailable(error_id)
    return render_apology(log_failure(logger, exc, what))
