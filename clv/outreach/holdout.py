"""The outreach experiment: which customers of a re-engagement list are contacted, and which
are held out as the control group that says what outreach adds.

The definitions, in one place:
- A customer's **list week** is the week end of the current run (the Sunday of its `as_of`):
  every list shown during that week (digest, alerts, `/clv dormant`, `/clv overdue`, exports)
  is of that run.
- The **arm** of a customer in a list week is a seeded hash: the first 8 bytes of
  SHA-256(`OUTREACH_HOLDOUT_SEED`:customer id:week end) read as a number in [0, 1); below
  `OUTREACH_HOLDOUT_SHARE` it is `holdout`, otherwise `contact`. The customer id is the shop's
  own (`customers.external_id`), so the arm is the same in every process, every run and every
  copy of the store. (Hash-based assignment is how experiment platforms make bucketing
  stateless and reproducible, e.g. Optimizely's MurmurHash of user and experiment id.)
- The arm is **recorded once**, the first time a list shows the customer that week, and kept
  for the outcome window (`WINDOW_DAYS`, eight weeks): while a customer has an open
  assignment, later lists show that one instead of drawing again, so a held-out customer stays
  uncontacted until the comparison is over, and nobody is counted twice. A window is open in
  every list week that starts on or before its last day (`open_since`).
- A held-out customer is never contacted: the send service asks `assignment_for` on every
  click, so a forged or replayed click on a held-out customer is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, select
from sqlmodel import Session

from clv.store.current import current_run_id_query
from clv.store.engine import upsert_insert
from clv.store.tables import customer_scores_table as scores
from clv.store.tables import outreach_assignments_table as assignments

Arm = Literal["contact", "holdout"]
WINDOW_DAYS = 56  # a list week's outcome window: purchases up to eight weeks after it count
RESULTS_FROM_DAYS = 14  # a list week is reported once two weeks have passed
HELD_OUT = "held out as the control group"


@dataclass(frozen=True)
class HoldoutRules:
    share: float  # OUTREACH_HOLDOUT_SHARE: the share of a list's customers held out
    seed: str  # OUTREACH_HOLDOUT_SEED


def draw_arm(customer_key: str, week_end: date, rules: HoldoutRules) -> Arm:
    """The arm the seeded hash gives `customer_key` in the list week `week_end`."""
    text = f"{rules.seed}:{customer_key}:{week_end.isoformat()}".encode()
    position = int.from_bytes(hashlib.sha256(text).digest()[:8], "big") / 2**64
    return "holdout" if position < rules.share else "contact"


@dataclass(frozen=True)
class Assignment:
    """A customer's arm: the recorded one of an open window, or the one drawn for this week."""

    customer_id: int  # the store's id
    week_end: date  # the list week the arm was drawn for
    arm: Arm
    recorded: bool  # False: drawn now, to be recorded when the list is shown

    @property
    def held_out(self) -> bool:
        return self.arm == "holdout"

    @property
    def until(self) -> date:
        """The last day of the outcome window: a held-out customer may be contacted after it."""
        return self.week_end + timedelta(days=WINDOW_DAYS)

    def reason(self) -> str:
        return f"{HELD_OUT} of the list week ending {self.week_end} (until {self.until})"


def open_since(week_end: date) -> date:
    """The oldest list week whose window is still open on any day of the list week `week_end`:
    its window (to the list week + `WINDOW_DAYS`) reaches the list week's Monday. A later list
    week's assignment (the current run re-scored an earlier day) is open too."""
    return week_end - timedelta(days=6 + WINDOW_DAYS)


def open_assignments(
    reader: Session | Connection, customer_ids: Sequence[int], week_end: date
) -> dict[int, Assignment]:
    """The recorded assignment of each customer whose window is open in `week_end`."""
    if not customer_ids:
        return {}
    rows = reader.execute(
        select(assignments.c.customer_id, assignments.c.week_end, assignments.c.arm)
        .where(
            assignments.c.customer_id.in_(list(customer_ids)),
            assignments.c.week_end >= open_since(week_end),
        )
        .order_by(assignments.c.week_end)
    )
    # ordered by week: the newest open assignment wins
    return {row.customer_id: Assignment(row.customer_id, row.week_end, row.arm, True)
            for row in rows}  # fmt: skip


def assign(
    reader: Session | Connection,
    customers: Iterable[tuple[int, str]],
    *,
    week_end: date,
    rules: HoldoutRules,
) -> dict[int, Assignment]:
    """The arm of each (store id, shop's customer id) in the list week `week_end`."""
    wanted = dict(customers)
    found = open_assignments(reader, list(wanted), week_end)
    for customer_id, key in wanted.items():
        if customer_id not in found:
            found[customer_id] = Assignment(customer_id, week_end, draw_arm(key, week_end, rules),
                                            recorded=False)  # fmt: skip
    return found


@dataclass(frozen=True)
class ListEntry:
    """What the assignment row keeps of a customer as the list showed them."""

    assignment: Assignment
    reason: str  # dormant | overdue
    tier: str | None
    segment: str
    predicted_clv: float


def record(
    connection: Connection, entries: Iterable[ListEntry], *, source: str, now: datetime
) -> int:
    """Record the assignments not yet recorded; a row already there is kept (the first list to
    show a customer wins, and the hash makes every writer agree). Returns the rows written."""
    rows = [_row(e, source, now) for e in entries if not e.assignment.recorded]
    if not rows:
        return 0
    statement = (
        upsert_insert(connection, assignments)
        .values(rows)
        .on_conflict_do_nothing()
        .returning(assignments.c.customer_id)
    )
    return len(connection.execute(statement).all())


def _row(entry: ListEntry, source: str, now: datetime) -> dict[str, Any]:
    a = entry.assignment
    return {"customer_id": a.customer_id, "week_end": a.week_end, "arm": a.arm,
            "assigned_at": now, "source": source[:32], "reason": entry.reason,
            "tier": entry.tier, "segment": entry.segment,
            "predicted_clv": entry.predicted_clv}  # fmt: skip


def record_click(connection: Connection, assignment: Assignment, now: datetime) -> None:
    """Record the contact arm of a customer clicked before any list recorded them (a card's
    button, or a list shown while the store could not be written): what the list would have
    written, read from the current scores."""
    if assignment.recorded:
        return
    row = connection.execute(
        select(scores.c.tier, scores.c.segment, scores.c.predicted_clv, scores.c.dormant).where(
            scores.c.customer_id == assignment.customer_id,
            scores.c.run_id == current_run_id_query(),
        )
    ).first()
    if row is None:
        return
    reason = "dormant" if row.dormant else "overdue"
    entry = ListEntry(assignment, reason, row.tier, row.segment, float(row.predicted_clv))
    record(connection, [entry], source="click", now=now)
