"""Send on the outreach modal (`view_submission`, callback `outreach_confirm`): one message.

The acknowledgement is empty, which closes the modal (https://docs.slack.dev/surfaces/modals,
payload: https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload). The
lazy listener authorises again, calls the core's atomic claim (`request_outreach`: a double
submit, two people or a replayed request all reach the same claim, so one message) and puts the
outcome in place of the button: in a channel's message with chat.update over the message as it
is now (others may have changed its other rows since the modal opened); for an ephemeral
message, which only its response_url can change, as a message of its own through that URL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from logging import Logger
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.access import may_send_outreach
from bot.slack.deps import Deps
from bot.slack.errors import render_failure
from bot.slack.listeners.home import republish_home
from bot.slack.payloads import extract_user_id
from bot.slack.render.outreach import render_not_allowed, render_outreach_outcome
from bot.slack.render.outreach_modal import (
    ModalOrigin,
    extract_modal_origin,
    render_outcome_notice,
)
from bot.slack.respond import ReliableRespond
from clv.outreach import request_outreach
from clv.present.outreach import outreach_block_id, replace_outreach_blocks
from reports.home.render import OUTREACH_SOURCE as HOME_SOURCE


def send_from_modal(deps: Deps) -> Callable[..., None]:
    def send(body: dict[str, Any], client: WebClient, logger: Logger) -> None:
        user = extract_user_id(body)
        origin = extract_modal_origin(body)
        if origin is None:
            logger.warning("an outreach submission without our private_metadata: ignored")
            return
        if user is None or not may_send_outreach(deps.settings, user):
            _answer(deps, client, origin, user, render_not_allowed(), logger)
            return
        try:
            result = request_outreach(deps.engine, deps.settings, customer_id=origin.customer_id,
                                      requested_by=user, source=origin.source,
                                      backend=deps.outreach)  # fmt: skip
            outcome = render_outreach_outcome(result, source=origin.source)
            if origin.source == HOME_SOURCE:  # the rebuilt home says it, and shows it on the row
                republish_home(deps, client, user, now=datetime.now(UTC), notice=outcome)
                return
            if origin.ephemeral or not _update_in_place(client, origin, outcome):
                _tell(client, origin, user, render_outcome_notice(result, outcome))
        except Exception as exc:
            failure = render_failure(logger, exc, "sending outreach")
            _answer(deps, client, origin, user, failure, logger)

    return send


def _answer(
    deps: Deps,
    client: WebClient,
    origin: ModalOrigin,
    user: str | None,
    message: dict[str, Any],
    logger: Logger,
) -> None:
    """Tell the user: on their App Home (no channel, no response URL there) as the home's
    notice, anywhere else as an ephemeral message."""
    if origin.source != HOME_SOURCE or user is None:
        _tell(client, origin, user, message)
        return
    try:
        republish_home(deps, client, user, now=datetime.now(UTC), notice=message["blocks"])
    except Exception as exc:  # the log has both
        render_failure(logger, exc, "telling the outcome on the App Home")


def _update_in_place(client: WebClient, origin: ModalOrigin, outcome: list[dict[str, Any]]) -> bool:
    """Replace the button in the channel message it is on; False when that message cannot be
    read (a thread reply, deleted, no access)."""
    if origin.channel_id is None or origin.message_ts is None:
        return False
    ts = origin.message_ts
    try:
        found = client.conversations_history(
            channel=origin.channel_id, latest=ts, oldest=ts, inclusive=True, limit=1
        )
    except SlackApiError:  # not in the channel, no history scope: say it another way
        return False
    message = next((m for m in found.get("messages") or [] if m.get("ts") == ts), None)
    if message is None:
        return False
    blocks = replace_outreach_blocks(
        list(message.get("blocks") or []), outreach_block_id(origin.customer_id), outcome
    )
    text = str(message.get("text") or "clvbot")
    client.chat_update(channel=origin.channel_id, ts=ts, text=text, blocks=blocks)
    return True


def _tell(
    client: WebClient, origin: ModalOrigin, user: str | None, message: dict[str, Any]
) -> None:
    """An ephemeral answer to `user`: through the click's response_url, else chat.postEphemeral."""
    answer = {**message, "replace_original": False, "response_type": "ephemeral"}
    if origin.response_url:
        ReliableRespond(response_url=origin.response_url)(**answer)
    elif origin.channel_id and user:
        text, blocks = str(answer.get("text") or ""), answer.get("blocks")
        client.chat_postEphemeral(channel=origin.channel_id, user=user, text=text, blocks=blocks)
