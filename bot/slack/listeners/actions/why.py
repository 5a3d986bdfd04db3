"""The "Why this number?" button: the predicted CLV taken apart, as a new ephemeral message."""

from __future__ import annotations

from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_bolt import Respond

from bot.slack.answers import why
from bot.slack.deps import Deps
from bot.slack.errors import log_failure
from bot.slack.payloads import extract_action_value
from bot.slack.render import render_apology


def explain(deps: Deps) -> Callable[..., None]:
    def why_this_number(body: dict[str, Any], respond: Respond, logger: Logger) -> None:
        try:
            message = why(deps.engine, deps.settings, extract_action_value(body))
        except Exception as exc:
            message = render_apology(log_failure(logger, exc, "explaining a CLV"))
        respond(**message, replace_original=False)

    return why_this_number
