"""The message a customer gets: which template, and what goes in it. Pure but for two reads.

Which template (`choose_template`, the one place the rule lives), first match wins:

1. CLV tier Platinum or Gold (`VIP_TIERS`) -> `vip`: a personal note to the most valuable
   customers, whatever else is true of them;
2. overdue and not dormant -> `nudge`: a repeat buyer past their usual gap, still likely
   active, gets a light reminder;
3. dormant and in segment "Can't Lose Them" or "At Risk" (`WINBACK_SEGMENTS`, the segments
   whose action in `clv.segments.definitions` is to win them back personally) -> `winback`;
4. anyone else -> `reengagement`, the general "we've missed you" (Hibernating customers among
   them: the segments' "low-cost reminder").

Each template is `templates/outreach/<name>.txt.j2`, `<name>.html.j2` (both extend `base.*`)
and `<name>_subject.txt.j2`. Every email greets by first name when there is a plain one
(`first_name`), links to SHOP_URL with the UTM parameters of the OUTREACH_UTM_* settings and
`utm_content=<template>`, carries the tier's OUTREACH_OFFER_CODE when there is one, and the
unsubscribe link whenever OUTREACH_UNSUBSCRIBE_URL is set. `compose_message` builds what the
send service hands a backend, and the preview shows: the same function for both, so the
modal shows exactly what is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote, unquote_plus, urlencode, urlsplit, urlunsplit

from sqlalchemy import Connection, func, select

from clv.outreach.message import OutreachMessage, TemplateName, first_name, unsubscribe_link
from clv.outreach.offers import parse_offer_codes
from clv.present.predictions import overdue_reason
from clv.settings import Settings
from clv.store.current import current_run_id_query
from clv.store.tables import customer_scores_table as scores
from clv.store.tables import customers_table as customers
from clv.store.tables import orders_table as orders
from clv.templating import render

TEMPLATES: tuple[TemplateName, ...] = ("vip", "nudge", "winback", "reengagement")
VIP_TIERS = frozenset({"Platinum", "Gold"})
WINBACK_SEGMENTS = frozenset({"Can't Lose Them", "At Risk"})
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Recipient:
    """Who the message is for, as the store has them."""

    customer_id: int
    key: str  # the shop's own customer id (customers.external_id)
    name: str | None
    email: str | None
    last_order_on: date | None


@dataclass(frozen=True)
class Standing:
    """Where the customer stands in the current scores: what picks the template, and why they
    were chosen."""

    tier: str | None = None
    segment: str | None = None
    dormant: bool = False
    overdue: bool = False
    dormant_reason: str | None = None
    next_order_on: date | None = None
    value_at_stake: float | None = None
    order_gap_days: float | None = None  # their usual time between orders
    days_since_last: int | None = None

    @property
    def reason(self) -> str:
        """Why outreach is for them, in plain words ("dormant: P(alive) 12% < 30%")."""
        if self.dormant:
            return f"dormant: {self.dormant_reason or 'no recent purchase'}"
        if self.overdue:
            return overdue_reason(self.order_gap_days, self.days_since_last)
        return "neither dormant nor overdue"


def choose_template(
    *, tier: str | None, segment: str | None, dormant: bool, overdue: bool
) -> TemplateName:
    """The template for a customer: the rule of the module docstring, first match wins."""
    if tier in VIP_TIERS:
        return "vip"
    if overdue and not dormant:
        return "nudge"
    if dormant and segment in WINBACK_SEGMENTS:
        return "winback"
    return "reengagement"


def campaign_link(
    shop_url: str, *, source: str, medium: str, campaign: str, content: str
) -> str | None:
    """SHOP_URL with the campaign's UTM parameters added (None when there is no SHOP_URL).

    The shop's own query is kept byte for byte, in its order, and any `utm_*` of ours it
    already has is replaced rather than repeated; an empty setting adds no parameter. The
    parameters are Google Analytics' campaign parameters
    (https://support.google.com/analytics/answer/1037445, "Campaign URL Builder").
    """
    if not shop_url:
        return None
    parts = urlsplit(shop_url)
    ours = {"utm_source": source, "utm_medium": medium, "utm_campaign": campaign,
            "utm_content": content}  # fmt: skip
    kept = [
        piece
        for piece in parts.query.split("&")
        if piece and unquote_plus(piece.partition("=")[0]) not in ours
    ]
    added = urlencode([(k, v) for k, v in ours.items() if v], quote_via=quote)
    query = "&".join([*kept, added] if added else kept)
    return urlunsplit(parts._replace(query=query))


def read_recipient(connection: Connection, customer_id: int) -> Recipient | None:
    """The customer's key, name, address and last order day (None: no such customer)."""
    row = connection.execute(
        select(customers.c.external_id, customers.c.email, customers.c.name).where(
            customers.c.id == customer_id
        )
    ).first()
    if row is None:
        return None
    last_order_on = connection.execute(
        select(func.max(orders.c.ordered_on)).where(orders.c.customer_id == customer_id)
    ).scalar_one()
    email = (row.email or "").strip() or None
    return Recipient(customer_id, row.external_id, row.name, email, last_order_on)


def read_standing(connection: Connection, customer_id: int) -> Standing:
    """The customer's row in the current run (an empty `Standing` when not scored)."""
    row = connection.execute(
        select(
            scores.c.tier, scores.c.segment, scores.c.dormant, scores.c.overdue,
            scores.c.dormant_reason, scores.c.next_order_on, scores.c.value_at_stake,
            scores.c.order_gap_days, scores.c.days_since_last,
        ).where(scores.c.run_id == current_run_id_query(), scores.c.customer_id == customer_id)
    ).first()  # fmt: skip
    if row is None:
        return Standing()
    return Standing(
        row.tier, row.segment, bool(row.dormant), bool(row.overdue), row.dormant_reason,
        row.next_order_on, float(row.value_at_stake), row.order_gap_days, row.days_since_last,
    )  # fmt: skip


def compose_message(
    connection: Connection,
    settings: Settings,
    recipient: Recipient,
    *,
    outreach_id: int,
    requested_by: str,
    source: str | None,
    now: datetime,
) -> OutreachMessage:
    """The message for `recipient`: its template, link, offer and unsubscribe link. The send
    service and the preview both build the message here; `now` is in TIMEZONE."""
    standing = read_standing(connection, recipient.customer_id)
    template = choose_template(tier=standing.tier, segment=standing.segment,
                               dormant=standing.dormant, overdue=standing.overdue)  # fmt: skip
    last = recipient.last_order_on
    link = campaign_link(settings.shop_url, source=settings.outreach_utm_source,
                         medium=settings.outreach_utm_medium,
                         campaign=settings.outreach_utm_campaign, content=template)  # fmt: skip
    return OutreachMessage(
        outreach_id=outreach_id,
        customer_id=recipient.customer_id,
        customer_key=recipient.key,
        name=recipient.name,
        email=recipient.email,
        last_order_on=last,
        days_since_last_order=(now.date() - last).days if last else None,
        shop_name=settings.shop_name,
        unsubscribe_url=unsubscribe_link(
            settings.outreach_unsubscribe_url, email=recipient.email, customer_key=recipient.key
        ),
        requested_by=requested_by,
        source=source,
        requested_at=now,
        shop_url=link,
        tier=standing.tier,
        segment=standing.segment,
        dormant=standing.dormant,
        overdue=standing.overdue,
        offer_code=parse_offer_codes(settings.outreach_offer_code).for_tier(standing.tier),
        template=template,
    )


def time_since(days: int | None) -> str:
    """How long ago a last order was, in words: "3 weeks", "about 5 months", "over a year"."""
    if days is None:
        return "a while"
    if days < 14:
        return "a few days" if days < 7 else "a week or so"
    if days < 60:
        return f"{days // 7} weeks"
    if days < 365:
        return f"about {round(days / 30.44)} months"
    years = days // 365
    return "over a year" if years == 1 else f"over {years} years"


def render_email(message: OutreachMessage) -> RenderedEmail:
    """The subject, text and HTML of `message` in its template (pure: no I/O).

    The greeting uses the customer's first name when it is known (`first_name`), else none
    ("Hi,"); the shop's link, the offer code and the unsubscribe link are in both parts, or
    nowhere when they are not set. The HTML part escapes every value (Jinja's autoescape for
    `.html.j2`, see `clv.templating`).
    """
    context = {
        "first_name": first_name(message.name),
        "shop_name": message.shop_name,
        "shop_url": message.shop_url,
        "since": time_since(message.days_since_last_order),
        "has_ordered": message.last_order_on is not None,
        "unsubscribe_url": message.unsubscribe_url,
        "offer_code": message.offer_code,
    }
    name = f"outreach/{message.template}"
    subject = " ".join(render(f"{name}_subject.txt.j2", **context).split())
    return RenderedEmail(
        subject=subject,
        text=render(f"{name}.txt.j2", **context),
        html=render(f"{name}.html.j2", **context),
    )
