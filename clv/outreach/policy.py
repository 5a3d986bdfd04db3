"""Who may be contacted now: consent first, then the cooldown since the last claimed contact.

This is the read side, for showing a button or a reason (the digest asks for ~10 customers at
once: two primary-key lookups). The decision that counts is the atomic claim in
`clv.outreach.service`; this only predicts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, select
from sqlmodel import Session

from clv.insights.runs import current_run_id
from clv.store.tables import customer_scores_table as scores
from clv.store.tables import customers_table as customers
from clv.store.tables import outreach_contacts_table as contacts
from clv.store.tables import outreach_table as outreach

OPTED_OUT = "opted out of marketing"
NO_EMAIL = "no email address"
UNKNOWN = "unknown customer"
NOT_DORMANT = "not dormant in the current scores (outreach is for customers slipping away)"
NOT_SCORED = "not in the current scores"


def target_reason(connection: Connection, customer_id: int) -> str | None:
    """Why `customer_id` is not an outreach target now; None when they are: dormant in the
    current run. Decided on the server for every click, whatever the button said."""
    run_id = current_run_id(connection)
    dormant = connection.execute(
        select(scores.c.dormant).where(
            scores.c.run_id == run_id, scores.c.customer_id == customer_id
        )
    ).scalar()
    if dormant is None:
        return NOT_SCORED
    return None if dormant else NOT_DORMANT


@dataclass(frozen=True)
class Eligibility:
    """Whether a customer may be contacted now, why not, and their last claimed contact."""

    customer_id: int
    eligible: bool
    reason: str | None  # plain text, no markup; None when eligible
    last_status: str | None = None  # claimed | sent (the contact holding the cooldown)
    last_by: str | None = None
    last_at: datetime | None = None
    next_possible: date | None = None


@dataclass(frozen=True)
class LastContact:
    outreach_id: int
    status: str
    by: str
    at: datetime  # when it was sent, or claimed when not (yet) sent
    claimed_at: datetime
    message_id: str | None


def outreach_eligibility(
    session_or_connection: Session | Connection,
    *,
    customer_ids: Sequence[int],
    cooldown_days: int,
    now: datetime,
    require_email: bool = False,
) -> dict[int, Eligibility]:
    """Eligibility of each of `customer_ids` at `now` (dates are in `now`'s time zone).

    Customers the store does not know are returned as not eligible ("unknown customer").
    `require_email` refuses customers without an email address (the smtp backend).
    """
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    known = {
        row.id: row
        for row in session_or_connection.execute(
            select(customers.c.id, customers.c.opted_out, customers.c.email).where(
                customers.c.id.in_(ids)
            )
        )
    }
    last = last_contacts(session_or_connection, customer_ids=ids)
    result: dict[int, Eligibility] = {}
    for customer_id in ids:
        customer = known.get(customer_id)
        contact = last.get(customer_id)
        if customer is None:
            result[customer_id] = Eligibility(customer_id, False, UNKNOWN)
            continue
        reason = None
        if customer.opted_out:
            reason = OPTED_OUT
        elif require_email and not (customer.email or "").strip():
            reason = NO_EMAIL
        result[customer_id] = _with_contact(customer_id, reason, contact, cooldown_days, now)
    return result


def last_contacts(
    session_or_connection: Session | Connection, *, customer_ids: Sequence[int]
) -> dict[int, LastContact]:
    """The claimed contact (the cooldown holder) of each customer that has one."""
    query = (
        select(
            contacts.c.customer_id,
            contacts.c.outreach_id,
            contacts.c.claimed_at,
            outreach.c.status,
            outreach.c.requested_by,
            outreach.c.finished_at,
            outreach.c.message_id,
        )
        .join(outreach, outreach.c.id == contacts.c.outreach_id)
        .where(contacts.c.customer_id.in_(list(customer_ids)))
    )
    return {
        row.customer_id: LastContact(
            outreach_id=row.outreach_id,
            status=row.status,
            by=row.requested_by,
            at=row.finished_at if row.status == "sent" and row.finished_at else row.claimed_at,
            claimed_at=row.claimed_at,
            message_id=row.message_id,
        )
        for row in session_or_connection.execute(query)
    }


def cooldown_reason(contact: LastContact, *, cooldown_days: int, now: datetime) -> str:
    """Why `contact` blocks another one, in plain words."""
    day = contact.at.astimezone(now.tzinfo).date()
    next_day = next_possible(contact, cooldown_days=cooldown_days, now=now)
    if contact.status == "sent":
        return f"contacted on {day} by {contact.by}; next possible on {next_day}"
    # claimed: being sent right now, or a send that crashed and may have gone out
    return (
        f"outreach requested on {day} by {contact.by}, not confirmed sent; "
        f"next possible on {next_day}"
    )


def next_possible(contact: LastContact, *, cooldown_days: int, now: datetime) -> date:
    return (contact.claimed_at + timedelta(days=cooldown_days)).astimezone(now.tzinfo).date()


def _with_contact(
    customer_id: int,
    reason: str | None,
    contact: LastContact | None,
    cooldown_days: int,
    now: datetime,
) -> Eligibility:
    if contact is None:
        return Eligibility(customer_id, reason is None, reason)
    cooling = contact.claimed_at > now - timedelta(days=cooldown_days)
    if reason is None and cooling:
        reason = cooldown_reason(contact, cooldown_days=cooldown_days, now=now)
    return Eligibility(
        customer_id,
        reason is None,
        reason,
        last_status=contact.status,
        last_by=contact.by,
        last_at=contact.at,
        next_possible=next_possible(contact, cooldown_days=cooldown_days, now=now)
        if cooling
        else None,
    )
