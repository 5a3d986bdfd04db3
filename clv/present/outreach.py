"""The "Send outreach" button, shared by the digest and the `/clv` card, and its replacement.

The button's value carries the store's customer id and where the click came from; the block
holding it has a block id naming the customer, so the handler can replace exactly that part
of the message with the outcome ("Sent by @user at 09:14") whatever else the message holds.
"""

from __future__ import annotations

import json
from typing import Any

from clv.present.blocks import Block, button, clip

OUTREACH_ACTION = "outreach_send"
_BLOCK_PREFIX = "outreach:"
MAX_ROW_ID = 2**63 - 1  # the store's ids are 64-bit: anything larger is not one of ours


def outreach_block_id(customer_id: int) -> str:
    return f"{_BLOCK_PREFIX}{customer_id}"


def outreach_button(customer_id: int, source: str, *, text: str = "Send outreach") -> Block:
    value = json.dumps({"customer": customer_id, "source": clip(source, 120)})
    return button(text, OUTREACH_ACTION, value, style="primary")


def extract_outreach_request(value: str | None) -> tuple[int, str] | None:
    """(customer id, source) from a button value, or None when it is not ours."""
    try:
        data = json.loads(value or "")
        customer, source = data["customer"], data.get("source", "")
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(customer, int) or isinstance(customer, bool):
        return None
    if not 0 < customer <= MAX_ROW_ID:
        return None
    return customer, str(source)


def replace_outreach_blocks(
    blocks: list[Block], block_id: str, outcome: list[Block]
) -> list[Block]:
    """`blocks` with the button of `block_id` removed and `outcome` placed right after it.

    The customer's section keeps its text (an accessory button is dropped); an actions block
    of that id keeps its other buttons. An outcome left by an earlier click on the same block
    is replaced too, so a retry shows one outcome, not two.
    """
    result: list[Block] = []
    outcome_id = f"{block_id}:outcome"
    placed = False
    for block in blocks:
        if block.get("block_id") == outcome_id:
            continue
        if block.get("block_id") == block_id:
            if block.get("type") == "section":
                result.append({k: v for k, v in block.items() if k != "accessory"})
            elif block.get("type") == "actions":  # keep the other buttons of a card
                others = [
                    e for e in block.get("elements", []) if e.get("action_id") != OUTREACH_ACTION
                ]
                if others:
                    result.append({**block, "elements": others})
            result.extend({**b, "block_id": outcome_id} for b in outcome)
            placed = True
            continue
        result.append(block)
    if not placed:
        result.extend({**b, "block_id": outcome_id} for b in outcome)
    return result


def section_with_button(mrkdwn: str, block_id: str, accessory: Block | None) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "section",
        "block_id": block_id,
        "text": {"type": "mrkdwn", "text": clip(mrkdwn, 3000)},
    }
    if accessory is not None:
        block["accessory"] = accessory
    return block
