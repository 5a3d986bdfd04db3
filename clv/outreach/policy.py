"""Who may be contacted now, decided by one function, `decide`.

The rule, in order: the customer must be known; must not have opted out (consent always comes
first); must be dormant or overdue in the current scores (outreach is for customers slipping
away); must not be held out as the control group (`clv.outreach.holdout`); must have an email
address when the backend sends email; and must not be in the cooldown since their last
claimed contact. The customer card, the dormant list, the digest and the send
service all ask `decide` (through `outreach_eligibility` or directly) and show its reason.
The decision that counts for the cooldown is the atomic claim in `clv.outreach.service`:
there `decide` is asked without the contact, and the claim decides the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, select
from sqlmodel import Session

from clv.outreach.holdout import Assignment, HoldoutRules, assign
from clv.scoring.weeks import week_end as week_end_of
from clv.settings import Settings
from clv.store.current import current_run_id_query
from clv.store.tables import customer_scores_table as scores
from clv.store.tables import customers_table as customers
from clv.store.tables import outreach_contacts_table as contacts
from clv.store.tables import outreach_table as outreach
from clv.store.tables import scoring_runs_table as runs

OPTED_OUT = "opted out of marketing"
NO_EMAIL = "no email address"
UNKNOWN = "unknown customer"
NOT_DORMANT = (
    "neither dormant nor overdue in the current scores (outreach is for customers slipping away)"
)
NOT_SCORED = "not in the current scores"
EMAIL_BACKENDS = frozenset({"smtp"})  # the backends that need an address to send

NO_HOLDOUT = HoldoutRules(0.0, "none")  # nobody held out (recorded holdouts still count)
Code = Literal[
    "unknown", "opted_out", "not_scored", "not_dormant", "held_out", "no_email", "cooldown"
]


@dataclass(frozen=True)
class OutreachRules:
    """What the decision depends on besides the customer: the cooldown, the backend and the
    control group's share and seed."""

    cooldown_days: int
    require_email: bool
    holdout: HoldoutRules = NO_HOLDOUT

    @classmethod
    def of(cls, settings: Settings) -> OutreachRules:
        return cls(
            settings.outreach_cooldown_days,
            settings.outreach_backend in EMAIL_BACKENDS,
            HoldoutRules(settings.outreach_holdout_share, settings.outreach_holdout_seed),
        )


@dataclass(frozen=True)
class LastContact:
    outreach_id: int
    status: str
    by: str
    at: datetime  # when it was sent, or claimed when not (yet) sent
    claimed_at: datetime
    message_id: str | None


@dataclass(frozen=True)
class Eligibility:
    """Whether a customer may be contacted now, why not, and their last claimed contact."""

    customer_id: int
    eligible: bool
    reason: str | None  # plain text, no markup; None when eligible
    code: Code | None = None  # which rule said no
    last_status: str | None = None  # claimed | sent (the contact holding the cooldown)
    last_by: str | None = None
    last_at: datetime | None = None
    next_possible: date | None = None
    assignment: Assignment | None = None  # the experiment's arm, for customers at risk

    @property
    def in_cooldown(self) -> bool:
        return self.code == "cooldown"

    @property
    def held_out(self) -> bool:
        return self.code == "held_out"


@dataclass(frozen=True)
class CustomerFacts:
    """What `decide` needs to know of a customer (None: the store does not know them)."""

    opted_out: bool
    email: str | None
    dormant: bool | None  # None: not in the current scores
    overdue: bool = False
    key: str = ""  # the shop's customer id, what the experiment's arm is drawn from


def decide(
    customer_id: int,
    facts: CustomerFacts | None,
    contact: LastContact | None,
    *,
    rules: OutreachRules,
    now: datetime,
    assignment: Assignment | None = None,
) -> Eligibility:
    """The one decision: see the module docstring for the order of the rules. `assignment` is
    the customer's arm in the list week (None: not asked, as for customers not at risk)."""
    status, by, at = (contact.status, contact.by, contact.at) if contact else (None, None, None)
    refusal = _refusal(facts, rules, assignment)
    if refusal is not None:
        code, reason = refusal
        return Eligibility(customer_id, False, reason, code, status, by, at, None, assignment)
    if contact is None or contact.claimed_at <= now - timedelta(days=rules.cooldown_days):
        return Eligibility(customer_id, True, None, None, status, by, at, None, assignment)
    reason = cooldown_reason(contact, cooldown_days=rules.cooldown_days, now=now)
    nxt = next_possible(contact, cooldown_days=rules.cooldown_days, now=now)
    return Eligibility(customer_id, False, reason, "cooldown", status, by, at, nxt, assignment)


def at_risk(facts: CustomerFacts | None) -> bool:
    """Whether outreach is for this customer at all: scored, consenting, dormant or overdue."""
    if facts is None or facts.opted_out or facts.dormant is None:
        return False
    return facts.dormant or facts.overdue


def _refusal(
    facts: CustomerFacts | None, rules: OutreachRules, assignment: Assignment | None
) -> tuple[Code, str] | None:
    if facts is None:
        return "unknown", UNKNOWN
    if facts.opted_out:
        return "opted_out", OPTED_OUT
    if facts.dormant is None:
        return "not_scored", NOT_SCORED
    if not (facts.dormant or facts.overdue):
        return "not_dormant", NOT_DORMANT
    if assignment is not None and assignment.held_out:
        return "held_out", assignment.reason()
    if rules.require_email and not (facts.email or "").strip():
        return "no_email", NO_EMAIL
    return None


def customer_facts(
    session_or_connection: Session | Connection, customer_ids: Sequence[int]
) -> dict[int, CustomerFacts]:
    """Consent, email, dormancy and overdue in the current run of each known customer of
    `ids`."""
    run_id = current_run_id_query()
    query = (
        select(
            customers.c.id,
            customers.c.opted_out,
            customers.c.email,
            scores.c.dormant,
            scores.c.overdue,
            customers.c.external_id,
        )
        .select_from(customers)
        .outerjoin(scores, (scores.c.customer_id == customers.c.id) & (scores.c.run_id == run_id))
        .where(customers.c.id.in_(list(customer_ids)))
    )
    return {
        row.id: CustomerFacts(
            bool(row.opted_out), row.email, row.dormant, bool(row.overdue), row.external_id
        )
        for row in session_or_connection.execute(query)
    }


def current_list_week(session_or_connection: Session | Connection) -> date | None:
    """The list week of the current run (`clv.outreach.holdout`), None before the first run."""
    as_of = session_or_connection.execute(
        select(runs.c.as_of).where(runs.c.id == current_run_id_query())
    ).scalar()
    return None if as_of is None else week_end_of(as_of)


def outreach_eligibility(
    session_or_connection: Session | Connection,
    *,
    customer_ids: Sequence[int],
    rules: OutreachRules,
    now: datetime,
    known: Mapping[int, CustomerFacts] | None = None,
    week_end: date | None = None,
) -> dict[int, Eligibility]:
    """`decide` for each of `customer_ids` at `now` (dates are in `now`'s time zone), with the
    reads it needs done at once (three lookups for the digest's ten or so customers). A reader
    that already holds the customers' rows of the run it shows passes their facts as `known`
    and the run's list week as `week_end`: then the verdict is of that same run."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    facts = known if known is not None else customer_facts(session_or_connection, ids)
    last = last_contacts(session_or_connection, customer_ids=ids)
    week = week_end or current_list_week(session_or_connection)
    risky = [(i, facts[i].key) for i in ids if at_risk(facts.get(i))]
    arms = assign(session_or_connection, risky, week_end=week, rules=rules.holdout) if week else {}
    return {
        i: decide(i, facts.get(i), last.get(i), rules=rules, now=now, assignment=arms.get(i))
        for i in ids
    }


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
