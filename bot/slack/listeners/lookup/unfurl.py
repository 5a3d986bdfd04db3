"""`link_shared` -> `chat.unfurl`: a customer link pasted in a channel (or still in the
composer) gets the customer's masked card.

Slack wants the event acknowledged within 3 s and retries it otherwise
(https://api.slack.com/apis/events-api#responding): bolt acknowledges first, and the read and
the unfurl run in this lazy listener. A retried event unfurls again, which changes nothing:
chat.unfurl on the same message replaces its unfurls. Links that match no UNFURL_PATTERNS
pattern or name no scored customer are left out of `unfurls`; with none left, no call.
A 429 is waited out by the client's retry handler (reports.slack_retry).

In a Slack Connect channel (the event wrapper's `is_ext_shared_channel`) the card would show to
people of other organisations: no unfurl there unless UNFURL_SHARED_CHANNELS says so.
"""

from __future__ import annotations

from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.deps import Deps
from bot.slack.errors import log_failure
from bot.slack.listeners.lookup.payloads import (
    extract_shared_links,
    is_ext_shared_channel,
    to_unfurl_target,
)
from bot.slack.named import linked_views
from bot.slack.render.unfurl import render_unfurls
from clv.store.deadline import within


def unfurl_links(deps: Deps) -> Callable[..., None]:
    def unfurl(
        body: dict[str, Any], event: dict[str, Any], client: WebClient, logger: Logger
    ) -> None:
        urls, target = extract_shared_links(event), to_unfurl_target(event)
        if not urls or target is None:
            return
        if is_ext_shared_channel(body) and not deps.settings.unfurl_shared_channels:
            logger.info("no unfurl of %d link(s) in a Slack Connect channel "
                        "(UNFURL_SHARED_CHANNELS is off)", len(urls))  # fmt: skip
            return
        try:
            views = within(deps.settings.store_timeout_seconds,
                           lambda: linked_views(deps.engine, deps.settings, urls))  # fmt: skip
        except Exception as exc:  # nobody is waiting for an answer: the log has it
            log_failure(logger, exc, "reading the customers of shared links")
            return
        if not views:
            logger.debug("no customer in %d shared link(s): no unfurl", len(urls))
            return
        try:
            client.chat_unfurl(channel=target.get("channel"), ts=target.get("ts"),
                               unfurl_id=target.get("unfurl_id"), source=target.get("source"),
                               unfurls=render_unfurls(views))  # fmt: skip
        except SlackApiError as exc:  # e.g. cannot_unfurl_url, or still rate-limited
            logger.warning("chat.unfurl refused %d link(s): %s", len(views),
                           exc.response.get("error"))  # fmt: skip
        except Exception as exc:
            log_failure(logger, exc, "unfurling shared links")

    return unfurl
