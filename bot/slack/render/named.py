"""The answer to the message shortcut "CLV of this customer", seen only by whoever used it.

As `/clv <customer>` answers (an ephemeral card with its buttons, names shown: it is for that
user alone); the other customers the message names are listed under the card, to ask for.
"""

from __future__ import annotations

from typing import Any

from bot.slack.named import Named, NotFound
from bot.slack.render.customer import render_customer_card
from bot.slack.render.notices import render_notice
from clv.present.blocks import code, context, escape, to_message

MAX_OTHERS = 5


def render_named_card(named: Named) -> dict[str, Any]:
    """The card of the first customer the message names, and who else it names."""
    card = render_customer_card(named.view)
    if not named.others:
        return card
    shown = ", ".join(code(key, 40) for key in named.others[:MAX_OTHERS])
    more = len(named.others) - MAX_OTHERS
    note = context(f"The message also names {shown}" + (f" and {more} more" if more > 0 else "")
                   + ": `/clv <id>` for their cards.")  # fmt: skip
    blocks = list(card["blocks"])
    at = len(blocks) - 1 if blocks and blocks[-1].get("type") == "actions" else len(blocks)
    return to_message(card["text"], [*blocks[:at], note, *blocks[at:]])


def render_nobody_named(miss: NotFound) -> dict[str, Any]:
    """No card: why, and how to ask for one."""
    return render_notice(
        f"I found no customer to show: {escape(miss.reason)}. "
        "`/clv <customer id or email>` looks one up."
    )
