"""The "Why this number?" button: the predicted CLV taken apart, as a new ephemeral message."""

from __future__ import annotations

from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_bolt import Respond

from bot.slack.answers import why
from bot.slack.deps import Deps
from bot.slack.errors import render_failure
from bot.slack.payloads import extract_action_value
from clv.store.deadline import within


def explain(deps: Deps) -> Callable[..., None]:
    def why_this_number(body: dict[str, Any], respond: Respond, logger: Logger) -> None:
        key = extract_action_value(body)
        try:
            message = within(deps.settings.store_timeout_seconds,
                             lambda: why(deps.engine, deps.settings, key))  # fmt: skip
        except Exception as exc:
            message = render_failure(logger, exc, "explaining a CLV")
        respond(**message, replace_original=False)

    return why_this_number
