"""The "Send outreach" button (digest and /clv card): one click, one message to the customer.

Acknowledged at once; the lazy listener authorises, calls the core (consent, cooldown, atomic
claim, send, audit) and replaces the button in the message with the outcome. Double clicks,
two people clicking at once and Slack's retries all reach the same claim: one message.
"""

from __future__ import annotations

from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.slack.access import may_send_outreach
from bot.slack.deps import Deps
from bot.slack.errors import render_failure
from bot.slack.payloads import extract_action_value, extract_user_id
from bot.slack.render import render_notice
from bot.slack.render.outreach import render_not_allowed, render_outreach_outcome
from clv.outreach import request_outreach
from clv.present.outreach import (
    extract_outreach_request,
    outreach_block_id,
    replace_outreach_blocks,
)


def send_outreach(deps: Deps) -> Callable[..., None]:
    def send(body: dict[str, Any], client: WebClient, respond: Respond, logger: Logger) -> None:
        user = extract_user_id(body)
        request = extract_outreach_request(extract_action_value(body))
        if request is None:
            respond(**render_notice("That button is not one of mine."), replace_original=False)
            return
        if user is None or not may_send_outreach(deps.settings, user):
            respond(**render_not_allowed())
            return
        customer_id, source = request
        try:
            result = request_outreach(deps.engine, deps.settings, customer_id=customer_id,
                                      requested_by=user, source=source,
                                      backend=deps.outreach)  # fmt: skip
            outcome = render_outreach_outcome(result, source=source)
            _update_message(body, client, respond, customer_id, outcome)
        except Exception as exc:
            respond(**render_failure(logger, exc, "sending outreach"), replace_original=False)

    return send


def _update_message(
    body: dict[str, Any],
    client: WebClient,
    respond: Respond,
    customer_id: int,
    outcome: list[dict[str, Any]],
) -> None:
    message = body.get("message") or {}
    container = body.get("container") or {}
    blocks = replace_outreach_blocks(
        list(message.get("blocks") or []), outreach_block_id(customer_id), outcome
    )
    text = str(message.get("text") or "clvbot")
    if container.get("is_ephemeral") or not message:
        respond(text=text, blocks=blocks, replace_original=True)
        return
    client.chat_update(channel=container["channel_id"], ts=container["message_ts"], text=text,
                       blocks=blocks)  # fmt: skip
