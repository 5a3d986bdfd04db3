"""Block Kit building blocks that stay within Slack's limits whatever the data.

Every limit lives here (see SLACK.md): escaping of data for mrkdwn, clipping of each text to its
element's maximum, and `to_message`, which caps a whole message at 50 blocks and ~12,000
characters and always sets a fallback `text`.
"""

from __future__ import annotations

import unicodedata
from typing import Any

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_FIELDS = 10
MAX_FIELD = 2000
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_TOTAL_TEXT = 11_000  # Slack refuses ~12,000 (msg_blocks_too_long); keep a margin
MAX_FALLBACK = 3000

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape(value: object) -> str:
    """A data value as inert mrkdwn text: `<!channel>` stays text, links stay text."""
    return str(value).translate(_ESCAPES)


def _joins_previous(text: str, i: int) -> bool:
    """Whether a cut before `text[i]` would split a user-perceived character (a grapheme):
    combining marks, variation selectors, skin tones, zero-width joiner sequences (family
    emoji) and flag pairs stay whole. A close approximation of UAX #29 without a dependency."""
    char, before = text[i], text[i - 1]
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Mc", "Me"):
        return True
    if char in "\u200d\ufe0e\ufe0f" or before == "\u200d" or "\U0001f3fb" <= char <= "\U0001f3ff":
        return True
    if _is_flag_half(char) and _is_flag_half(before):  # regional indicators pair up
        run = 0
        while i - run - 1 >= 0 and _is_flag_half(text[i - run - 1]):
            run += 1
        return run % 2 == 1
    return False


def _is_flag_half(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, with an ellipsis when cut.

    A cut never splits a grapheme (an emoji sequence, a letter and its accent) nor an escape
    such as `&amp;` (it would show as a broken entity).
    """
    if len(text) <= limit:
        return text
    end = limit - 1
    while end > 0 and _joins_previous(text, end):
        end -= 1
    cut = text[:end]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:] and len(cut) - amp < 6:
        cut = cut[:amp]
    return cut + "…"


def code(value: object, limit: int = 60) -> str:
    """A data value as inline code: clipped to `limit` characters (by grapheme), backticks
    replaced (a code span cannot hold one), escaped. The span always closes."""
    return f"`{escape(clip(str(value).replace('`', 'ˋ'), limit))}`"


def short(value: object, limit: int = 60) -> str:
    """A data value for a list row: clipped to `limit` characters, then escaped."""
    return escape(clip(str(value), limit))


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, MAX_HEADER)}}


def section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(mrkdwn, MAX_SECTION)}}


def fields(pairs: list[tuple[str, str]]) -> Block:
    """Up to ten `*label*` + value fields; labels are ours, the caller escapes the values."""
    items = [
        {"type": "mrkdwn", "text": clip(f"*{label}*\n{value}", MAX_FIELD)}
        for label, value in pairs[:MAX_FIELDS]
    ]
    return {"type": "section", "fields": items}


def context(*texts: str) -> Block:
    elements = [{"type": "mrkdwn", "text": clip(t, MAX_SECTION)} for t in texts if t]
    return {"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS]}


def button(text: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(text, MAX_BUTTON_TEXT)},
        "action_id": action_id,
        "value": value[:MAX_BUTTON_VALUE],
    }
    if style:
        element["style"] = style
    return element


def actions(*elements: Block) -> Block:
    return {"type": "actions", "elements": list(elements)}


def divider() -> Block:
    return {"type": "divider"}


def line_sections(lines: list[str], *, limit: int = MAX_SECTION) -> list[Block]:
    """Lines packed into as few sections as fit, each under the section limit."""
    blocks: list[Block] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line = clip(line, limit)
        if current and size + 1 + len(line) > limit:
            blocks.append(section("\n".join(current)))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        blocks.append(section("\n".join(current)))
    return blocks


def block_text_size(block: Block) -> int:
    """Characters of text a block carries (what counts towards the message total)."""
    size = 0
    for key in ("text", "fields", "elements"):
        value = block.get(key)
        items = value if isinstance(value, list) else [value] if value else []
        for item in items:
            if isinstance(item, dict):
                text = item.get("text")
                size += len(text) if isinstance(text, str) else block_text_size(item)
    return size


def to_message(text: str, blocks: list[Block], *, ephemeral: bool = True) -> dict[str, Any]:
    """A message within the limits: a trailing actions block is kept, others cut from the end."""
    tail = [blocks[-1]] if blocks and blocks[-1].get("type") == "actions" else []
    body = blocks[: len(blocks) - len(tail)]
    budget = MAX_TOTAL_TEXT - sum(block_text_size(b) for b in tail)
    kept: list[Block] = []
    used = 0
    for block in body:
        size = block_text_size(block)
        if len(kept) + len(tail) >= MAX_BLOCKS - 1 or used + size > budget - 100:
            kept.append(context(f"_… {len(body) - len(kept)} more block(s) left out_"))
            break
        kept.append(block)
        used += size
    message: dict[str, Any] = {"text": clip(text, MAX_FALLBACK), "blocks": kept + tail}
    message["response_type"] = "ephemeral" if ephemeral else "in_channel"
    return message
