"""The card a customer link unfurls into (`chat.unfurl`), for everyone in the channel to see.

An unfurl is posted in a channel as a shared card is: the customer's name and email masked
(`render_customer_card(view, masked=True)`, clv.present.privacy), no buttons. Above the card
one line says what the link's reader wants first: the value at stake and the customer's
status. `unfurls` is the map chat.unfurl takes, keyed by the links exactly as the event gave
them (https://api.slack.com/methods/chat.unfurl: `{url: {"blocks": [...]}}`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.slack.render.customer import render_customer_card
from clv.formatting import money, percent
from clv.insights import CustomerView
from clv.present.blocks import escape, section
from clv.present.predictions import overdue_reason
from clv.present.status import to_status

MAX_UNFURL_BLOCKS = 10  # the card is six; an attachment's blocks are kept short (unconfirmed)


def to_standing(view: CustomerView) -> str:
    """'dormant: last order 1997-03-02, dormant since 1997-06-01 · P(alive) 12%', 'overdue:
    usually orders every ~5 weeks, last order 62 days ago · P(alive) 64%', or the activity
    ('likely active (P(alive) 91%)'), in mrkdwn with the data escaped."""
    s = view.scores
    chance = "" if s.p_alive is None else f" · P(alive) {percent(s.p_alive)}"
    if s.dormant:
        return f"*Dormant*: {escape(to_status(view))}{chance}"
    if s.overdue:
        reason = overdue_reason(s.order_gap_days, s.days_since_last).removeprefix("overdue: ")
        return f"*Overdue*: {escape(reason)}{chance}"
    status = to_status(view)
    return f"*{escape(status[:1].upper() + status[1:])}*"


def render_unfurl(view: CustomerView) -> dict[str, Any]:
    """One link's unfurl: the value at stake and the status, then the masked card."""
    at_stake = money(view.scores.value_at_stake, view.run.currency)
    card = render_customer_card(view, masked=True)["blocks"]
    headline = section(f"*{at_stake} at stake* · {to_standing(view)}")
    blocks = [card[0], headline, *card[1:]]
    return {"blocks": blocks[:MAX_UNFURL_BLOCKS]}


def render_unfurls(views: Mapping[str, CustomerView]) -> dict[str, dict[str, Any]]:
    """chat.unfurl's `unfurls`: each link that names a customer, with its card."""
    return {url: render_unfurl(view) for url, view in views.items()}
