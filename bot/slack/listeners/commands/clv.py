"""`/clv …`: parse -> read the stored scores -> render -> reply (ephemeral).

Reads take milliseconds, so by default the answer travels in the acknowledgement itself;
with SLACK_ANSWER_IN_ACK=false the command is acknowledged at once and answered through the
response_url from bolt's lazy-listener thread.
"""

from __future__ import annotations

from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_bolt import Ack, Respond

from bot.slack.answers import answer
from bot.slack.deps import Deps
from bot.slack.errors import log_failure
from bot.slack.payloads import to_clv_request
from bot.slack.render import render_apology


def _reply(deps: Deps, command: dict[str, Any], logger: Logger) -> dict[str, Any]:
    try:
        return answer(deps.engine, deps.settings, to_clv_request(command.get("text", "")))
    except Exception as exc:  # a store outage or a bug: an apology with an id, never a trace
        return render_apology(log_failure(logger, exc, "answering /clv"))


def answer_in_ack(deps: Deps) -> Callable[..., None]:
    def clv(ack: Ack, command: dict[str, Any], logger: Logger) -> None:
        ack(**_reply(deps, command, logger))

    return clv


def ack_at_once(ack: Ack) -> None:
    ack()


def answer_later(deps: Deps) -> Callable[..., None]:
    def clv(respond: Respond, command: dict[str, Any], logger: Logger) -> None:
        respond(**_reply(deps, command, logger))

    return clv
