"""The "Send outreach" button (digest, alerts and the /clv card): opens the confirmation modal.

Acknowledged at once; the lazy listener authorises, asks the core for the preview (the verdict
and the exact email) and opens the modal with `views.open` within the trigger's three seconds
(https://docs.slack.dev/reference/methods/views.open/). A customer who may not be contacted
(held out, opted out, in the cooldown ...) gets no modal: the outcome replaces the button, as a
send would have answered. Sending happens on the modal's Send (`outreach_submit`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from logging import Logger
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.access import may_send_outreach
from bot.slack.deps import Deps
from bot.slack.errors import render_failure
from bot.slack.listeners.home import republish_home
from bot.slack.payloads import extract_action_value, extract_user_id
from bot.slack.render import render_notice
from bot.slack.render.outreach import render_not_allowed, render_outreach_outcome
from bot.slack.render.outreach_modal import render_outreach_modal, to_modal_origin
from clv.outreach.preview import preview_outreach
from clv.present.outreach import (
    extract_outreach_request,
    outreach_block_id,
    replace_outreach_blocks,
)
from reports.home.render import OUTREACH_SOURCE as HOME_SOURCE

TOO_SLOW = "The confirmation took too long to open (Slack allows 3 seconds): click again."
TRIGGER_ERRORS = frozenset({"expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id"})


def open_outreach_modal(deps: Deps) -> Callable[..., None]:
    def open_modal(
        body: dict[str, Any], client: WebClient, respond: Respond, logger: Logger
    ) -> None:
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
            preview = preview_outreach(deps.engine, deps.settings, customer_id,
                                       now=datetime.now(UTC), requested_by=user, source=source,
                                       backend_needs_email=deps.outreach.needs_email)  # fmt: skip
            refusal = preview.refusal()
            if refusal is not None:  # held out, opted out, cooling down: say why, no modal
                outcome = render_outreach_outcome(refusal, source=source)
                if source == HOME_SOURCE:  # the home, rebuilt, says why there is no button
                    republish_home(deps, client, user, now=datetime.now(UTC), notice=outcome)
                    return
                _update_message(body, client, respond, customer_id, outcome)
                return
            view = render_outreach_modal(preview, to_modal_origin(body, customer_id, source),
                                         currency=deps.settings.currency,
                                         backend=deps.outreach.name)  # fmt: skip
            client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=view)
        except SlackApiError as exc:
            if exc.response.get("error") not in TRIGGER_ERRORS:
                respond(**render_failure(logger, exc, "opening the outreach modal"),
                        replace_original=False)  # fmt: skip
                return
            logger.warning("views.open refused the trigger: %s", exc.response.get("error"))
            respond(**render_notice(TOO_SLOW), replace_original=False)
        except Exception as exc:
            respond(**render_failure(logger, exc, "previewing outreach"), replace_original=False)

    return open_modal


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
