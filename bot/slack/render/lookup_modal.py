"""The "Look up a customer" modal: an input for an id or email; on submit the same modal shows
the card (`response_action: update`), or the input shows what is wrong (`response_action:
errors`), as Slack's view interaction payloads describe
(https://api.slack.com/reference/interaction-payloads/views).

The modal is seen only by the user who opened it, so the card is the one `/clv` answers with
(names and emails shown), without its buttons: they answer through a message's response URL
or channel, and a modal has neither. Limits from Slack's modal view reference
(https://docs.slack.dev/reference/views/modal-views, SLACK.md): title, submit and close at
most 24 characters, at most 100 blocks.
"""

from __future__ import annotations

from typing import Any

from bot.slack.named import NotFound
from bot.slack.render.customer import render_customer_card
from clv.insights import CustomerView
from clv.present.blocks import Block, clip, code, context, divider
from clv.present.privacy import to_masked_key

CALLBACK_ID = "clv_lookup_modal"
INPUT_BLOCK, INPUT_ACTION = "lookup_key", "key"
TITLE, SUBMIT, CLOSE = "Look up a customer", "Look up", "Close"  # each at most 24 characters
MAX_KEY = 320  # the longest email address the store keeps
MAX_ERROR = 200  # an input's error text: kept short (no documented limit found)
MAX_VIEW_BLOCKS = 100


def _input() -> Block:
    return {
        "type": "input",
        "block_id": INPUT_BLOCK,
        "label": {"type": "plain_text", "text": "Customer id or email address"},
        "element": {
            "type": "plain_text_input",
            "action_id": INPUT_ACTION,
            "max_length": MAX_KEY,
            "placeholder": {"type": "plain_text", "text": "42 or jane@example.com"},
        },
    }


def render_lookup_modal(view: CustomerView | None = None, *, masked: bool) -> dict[str, Any]:
    """The modal: the input, and under it the card of the customer looked up (if any), with
    names and emails masked as the App Home's are (APP_HOME_PERSONAL_DATA): a modal stays on a
    screen as the home does."""
    blocks = [_input()]
    if view is not None:
        rendered = render_customer_card(view, masked=masked)["blocks"]
        card = [b for b in rendered if b.get("type") != "actions"]
        key = to_masked_key(view.customer_id) if masked else view.customer_id
        hint = (
            f"Only you see this. {code('/clv ' + key, 72)} in a channel gives "
            "the card with its buttons (Why this number?, Share in channel, Send outreach)."
        )
        blocks += [divider(), *card, context(hint)]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": {"type": "plain_text", "text": TITLE},
        "submit": {"type": "plain_text", "text": SUBMIT},
        "close": {"type": "plain_text", "text": CLOSE},
        "blocks": blocks[:MAX_VIEW_BLOCKS],
    }


def render_lookup_errors(typed: str, miss: NotFound) -> dict[str, str]:
    """The input's error (`response_action: errors`, keyed by block_id), in plain text: what
    was typed, why it names no card, and who may have been meant."""
    text = f"{clip(typed, 60)!r}: {miss.reason}"
    if miss.suggestions:
        text += f". Did you mean {' or '.join(s.label for s in miss.suggestions)}?"
    return {INPUT_BLOCK: clip(text, MAX_ERROR)}


def extract_lookup_key(body: dict[str, Any]) -> str:
    """What was typed in the modal's input (`view.state.values`), stripped; '' if nothing."""
    value: object = body.get("view")
    for name in ("state", "values", INPUT_BLOCK, INPUT_ACTION, "value"):
        value = value.get(name) if isinstance(value, dict) else None
    return value.strip() if isinstance(value, str) else ""
