"""The "Share in channel" button: the card, personal data masked, via chat.postMessage."""

from __future__ import annotations

from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.answers import shared_card
from bot.slack.deps import Deps
from bot.slack.errors import render_failure
from bot.slack.payloads import (
    extract_action_value,
    extract_channel_id,
    extract_user_id,
    is_slack_id,
)
from bot.slack.render import render_notice
from clv.store.deadline import within

NOT_A_MEMBER = ("not_in_channel", "channel_not_found", "is_archived")


def posting(logger: Logger, what: str, post: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """`post()`'s notice, or what went wrong, said the way Slack users understand it."""
    try:
        return post()
    except SlackApiError as exc:
        if exc.response.get("error") in NOT_A_MEMBER:
            return render_notice("I can't post in this channel: invite me (`/invite @clvbot`).")
        return render_failure(logger, exc, what)
    except Exception as exc:
        return render_failure(logger, exc, what)


def share_in_channel(deps: Deps) -> Callable[..., None]:
    def share(body: dict[str, Any], client: WebClient, respond: Respond, logger: Logger) -> None:
        channel, user = extract_channel_id(body), extract_user_id(body)
        if channel is None or user is None or not (is_slack_id(channel) and is_slack_id(user)):
            respond(**render_notice("I can only share in a channel."), replace_original=False)
            return
        key = extract_action_value(body)

        def post() -> dict[str, Any]:
            card = within(deps.settings.store_timeout_seconds,
                          lambda: shared_card(deps.engine, deps.settings, key, user))  # fmt: skip
            if card is None:
                return render_notice("That customer is no longer in the current scores.")
            card.pop("response_type", None)
            client.chat_postMessage(channel=channel, **card)
            return render_notice(f"Shared in <#{channel}> with name and email masked.")

        respond(**posting(logger, "sharing a card", post), replace_original=False)

    return share
