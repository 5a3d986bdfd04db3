"""The message shortcut "CLV of this customer": the card of the customer a message names,
seen only by whoever used the shortcut.

Acknowledged at once; the lazy listener reads the message's links (UNFURL_PATTERNS), email
addresses and words (which of them are customers is the core's: clv.insights.named) and
answers through the shortcut's response_url, which a message shortcut carries
(https://api.slack.com/reference/interaction-payloads/shortcuts), as `/clv` answers.
"""

from __future__ import annotations

from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_bolt import Respond

from bot.slack.deps import Deps
from bot.slack.errors import render_failure
from bot.slack.listeners.lookup.payloads import extract_message_text
from bot.slack.named import NotFound, named_in_message
from bot.slack.render.named import render_named_card, render_nobody_named
from clv.store.deadline import within


def answer_message(deps: Deps) -> Callable[..., None]:
    def answer(body: dict[str, Any], respond: Respond, logger: Logger) -> None:
        text = extract_message_text(body)
        try:
            found = within(deps.settings.store_timeout_seconds,
                           lambda: named_in_message(deps.engine, deps.settings, text))  # fmt: skip
            reply = (render_nobody_named(found) if isinstance(found, NotFound)
                     else render_named_card(found))  # fmt: skip
        except Exception as exc:
            reply = render_failure(logger, exc, "looking up the customer of a message")
        respond(**reply, replace_original=False)

    return answer
