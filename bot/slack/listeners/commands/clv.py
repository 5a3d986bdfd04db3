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
from slack_sdk import WebClient

from bot.slack.answers import answer
from bot.slack.deps import Deps
from bot.slack.errors import render_failure
from bot.slack.listeners.commands import users
from bot.slack.payloads import ClvRequest, extract_channel_id, to_clv_request
from clv.store.deadline import within


def _request(command: dict[str, Any]) -> ClvRequest:
    return to_clv_request(str(command.get("text") or ""), channel=extract_channel_id(command))


def _reply(deps: Deps, command: dict[str, Any], logger: Logger) -> dict[str, Any] | None:
    """The answer to give now; None: the lazy listener answers (`users.LATER`)."""
    request = _request(command)
    user = str(command.get("user_id") or "")
    if request.kind in users.LATER:
        return None
    if request.kind in users.ANSWERS:
        try:
            return within(deps.settings.store_timeout_seconds,
                          lambda: users.ANSWERS[request.kind](deps, user, request))  # fmt: skip
        except Exception as exc:
            return render_failure(logger, exc, f"answering /clv {request.kind}")
    try:
        # inside Slack's 3 s: a store that does not answer in time gets a polite notice
        return within(deps.settings.store_timeout_seconds,
                      lambda: answer(deps.engine, deps.settings, request))  # fmt: skip
    except Exception as exc:  # a store outage or a bug: a notice with an id, never a trace
        return render_failure(logger, exc, "answering /clv")


def answer_in_ack(deps: Deps) -> Callable[..., None]:
    def clv(ack: Ack, command: dict[str, Any], logger: Logger) -> None:
        ack(**(_reply(deps, command, logger) or {}))

    return clv


def ack_at_once(ack: Ack) -> None:
    ack()


def follow_up(deps: Deps) -> Callable[..., None]:
    """After the acknowledgement: the slow part of a sub-command (an export's upload), and
    the answer of one that writes (`users.LATER`), through the response_url."""

    def clv(command: dict[str, Any], client: WebClient, respond: Respond, logger: Logger) -> None:
        request = _request(command)
        user = str(command.get("user_id") or "")
        if request.kind in users.LATER:
            try:
                message = users.LATER[request.kind](deps, user, request, client)
            except Exception as exc:  # a store outage or a bug: a notice with an id
                message = render_failure(logger, exc, f"answering /clv {request.kind}")
            respond(**message)
            return
        step = users.FOLLOW_UPS.get(request.kind)
        if step is None:
            return
        try:
            step(deps, user, request, client)
        except Exception as exc:  # logged with an id; the user was told in the ack
            render_failure(logger, exc, f"following up /clv {request.kind}")

    return clv


def answer_later(deps: Deps) -> Callable[..., None]:
    def clv(respond: Respond, command: dict[str, Any], logger: Logger) -> None:
        reply = _reply(deps, command, logger)
        if reply is not None:  # None: `follow_up` answers
            respond(**reply)

    return clv
