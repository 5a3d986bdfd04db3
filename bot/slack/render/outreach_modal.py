"""The "Send outreach" confirmation modal, and where it came from (its private_metadata).

The modal shows the customer (masked when the button's message is in a channel), why they
were chosen, and the exact subject and text of the email the Send button sends. Limits from
Slack's modal view reference (https://docs.slack.dev/reference/views/modal-views): title,
submit and close at most 24 characters, at most 100 blocks, `callback_id` at most 255 and
`private_metadata` at most 3,000 characters; a section's text at most 3,000 (SLACK.md).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from clv.formatting import money
from clv.outreach import OutreachResult
from clv.outreach.preview import OutreachPreview
from clv.present.blocks import (
    MAX_SECTION,
    Block,
    code,
    context,
    divider,
    escape,
    section,
    to_message,
)
from clv.present.outreach import MAX_ROW_ID
from clv.present.privacy import to_masked_email, to_masked_key, to_masked_name

CALLBACK_ID = "outreach_confirm"
MAX_METADATA = 3000
MAX_VIEW_BLOCKS = 100
TITLE, SUBMIT, CLOSE = "Send outreach", "Send", "Cancel"  # each at most 24 characters


@dataclass(frozen=True)
class ModalOrigin:
    """The click that opened the modal: the button's customer and source, and the message it
    was on (what the submission updates with the outcome)."""

    customer_id: int
    source: str
    channel_id: str | None
    message_ts: str | None
    ephemeral: bool
    response_url: str | None  # the click's: an ephemeral message changes only through it


def to_modal_origin(body: dict[str, Any], customer_id: int, source: str) -> ModalOrigin:
    """The origin of a `block_actions` click on the Send outreach button (pure)."""
    container = _dict(body.get("container"))
    channel = _dict(body.get("channel"))
    channel_id = container.get("channel_id") or channel.get("id")
    ts, url = container.get("message_ts"), body.get("response_url")
    return ModalOrigin(
        customer_id,
        source,
        channel_id if isinstance(channel_id, str) else None,
        ts if isinstance(ts, str) else None,
        container.get("is_ephemeral") is True,
        url if isinstance(url, str) and url.startswith(("https://", "http://")) else None,
    )


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def to_private_metadata(origin: ModalOrigin) -> str:
    """`origin` as JSON within the 3,000 characters (without the response URL if need be)."""
    text = json.dumps(asdict(origin), separators=(",", ":"))
    if len(text) > MAX_METADATA:
        text = json.dumps({**asdict(origin), "response_url": None}, separators=(",", ":"))
    return text


def extract_modal_origin(body: dict[str, Any]) -> ModalOrigin | None:
    """The origin a `view_submission` carries in its private_metadata; None if not ours."""
    view = body.get("view")
    try:
        data = json.loads(view.get("private_metadata") or "") if isinstance(view, dict) else None
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    customer = data.get("customer_id")
    if not isinstance(customer, int) or isinstance(customer, bool):
        return None
    if not 0 < customer <= MAX_ROW_ID:
        return None
    texts = {k: data.get(k) if isinstance(data.get(k), str) else None
             for k in ("source", "channel_id", "message_ts", "response_url")}  # fmt: skip
    url = texts["response_url"]
    if url is not None and not url.startswith(("https://", "http://")):
        url = None
    return ModalOrigin(customer, texts["source"] or "", texts["channel_id"], texts["message_ts"],
                       data.get("ephemeral") is True, url)  # fmt: skip


def render_outreach_modal(
    preview: OutreachPreview, origin: ModalOrigin, *, currency: str, backend: str
) -> dict[str, Any]:
    """The modal for an eligible customer's preview: who, why, and the exact email."""
    email = preview.email
    if email is None:
        raise ValueError("only an eligible customer's preview has an email to show")
    blocks = [
        *_who(preview, masked=not origin.ephemeral),
        section(_why(preview, currency)),
        context(_details(preview, backend)),
        divider(),
        _plain_section(f"Subject: {email.subject}"),
        *[_plain_section(chunk) for chunk in plain_chunks(email.text.rstrip("\n"))],
        context(_on_send(backend)),
    ]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": {"type": "plain_text", "text": TITLE},
        "submit": {"type": "plain_text", "text": SUBMIT},
        "close": {"type": "plain_text", "text": CLOSE},
        "private_metadata": to_private_metadata(origin),
        "blocks": blocks[:MAX_VIEW_BLOCKS],
    }


def _who(preview: OutreachPreview, *, masked: bool) -> list[Block]:
    recipient = preview.recipient
    if recipient is None:  # not reached for an eligible preview; kept total
        return [section(f"*To* customer {preview.customer_id}")]
    name, email, key = recipient.name, recipient.email, recipient.key
    if masked:
        name, email, key = to_masked_name(name), to_masked_email(email), to_masked_key(key)
    who = f"*To* {escape(name or 'customer')} · customer {code(key, 64)}"
    blocks = [section(who + (f" · {escape(email)}" if email else ""))]
    if masked:
        blocks.append(context("The button is in a channel: the customer's name and address are "
                              "masked here, the email below is what they receive."))  # fmt: skip
    return blocks


def _why(preview: OutreachPreview, currency: str) -> str:
    standing = preview.standing
    line = f"*Why them* {escape(preview.reason)}"
    if preview.value_at_stake:
        line += f" · *{money(preview.value_at_stake, currency)}* at stake"
    groups = [f"tier {escape(standing.tier)}" if standing.tier else "no tier",
              f"segment {escape(standing.segment)}" if standing.segment else ""]  # fmt: skip
    return f"{line}\n{' · '.join(g for g in groups if g)}"


def _details(preview: OutreachPreview, backend: str) -> str:
    message = preview.message
    offer = message.offer_code if message else None
    offer_text = f"offer code {code(offer)}" if offer else "no offer code for this tier"
    return f"template {code(preview.template or '')} · {offer_text} · backend {code(backend)}"


def _on_send(backend: str) -> str:
    if backend == "log":
        return "OUTREACH_BACKEND=log: Send records the outreach, nothing is sent."
    return "Send sends this once: a second Send, by anyone, sends nothing during the cooldown."


def _plain_section(text: str) -> Block:
    # plain text: the email exactly as written, no mrkdwn to escape or to misread
    return {"type": "section", "text": {"type": "plain_text", "text": text or " ",
                                        "emoji": False}}  # fmt: skip


def plain_chunks(text: str, limit: int = MAX_SECTION) -> list[str]:
    """`text` in pieces of whole lines, each at most `limit` characters, that joined with a
    line break give `text` back (a line longer than `limit` is cut)."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        while len(line) > limit:
            chunks.extend(["\n".join(current)] if current else [])
            current, size = [], 0
            chunks.append(line[:limit])
            line = line[limit:]
        if current and size + 1 + len(line) > limit:
            chunks.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + (1 if len(current) > 1 else 0)
    if current:
        chunks.append("\n".join(current))
    return chunks


def render_outcome_notice(result: OutreachResult, outcome: list[Block]) -> dict[str, Any]:
    """The outcome as a message of its own, for when the original cannot be edited."""
    texts = {"sent": "Outreach sent", "already_contacted": "Outreach already sent: no second one"}
    text = texts.get(result.status, "Outreach not sent")
    return to_message(text, outcome)
