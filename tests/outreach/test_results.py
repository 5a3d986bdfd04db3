"""outreach_outcomes: who bought again after a sent outreach, and for how much."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine, insert
from sqlmodel import Session

from clv.outreach import OutreachOutcome, outreach_outcomes
from clv.store.tables import outreach_table
from tests.outreach.conftest import NOW, add_customer, add_order, days_ago, sqlite_only


def add_outreach(engine: Engine, customer_id: int, status: str, finished_at: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(outreach_table).values(
                customer_id=customer_id, requested_by="U1", requested_at=finished_at,
                backend="smtp", status=status, finished_at=finished_at,
            )
        )  # fmt: skip


def test_outcomes_count_customers_who_bought_after_a_sent_outreach(engine: Engine) -> None:
    came_back = add_customer(engine, "BACK", last_order=days_ago(200))
    add_outreach(engine, came_back, "sent", days_ago(20))
    add_order(engine, came_back, "BACK-1", days_ago(10), 1_000)
    add_order(engine, came_back, "BACK-2", days_ago(5), 500)
    add_order(engine, came_back, "BACK-R", days_ago(4), -200)  # a refund is no purchase
    quiet = add_customer(engine, "QUIET", last_order=days_ago(200))
    add_outreach(engine, quiet, "sent", days_ago(30))
    add_order(engine, quiet, "QUIET-R", days_ago(3), -900)
    twice = add_customer(engine, "TWICE", last_order=days_ago(300))
    add_outreach(engine, twice, "sent", days_ago(50))  # counts once, from the first
    add_order(engine, twice, "TWICE-1", days_ago(40), 300)
    add_outreach(engine, twice, "sent", days_ago(15))
    too_recent = add_customer(engine, "RECENT")
    add_outreach(engine, too_recent, "sent", days_ago(5))
    add_order(engine, too_recent, "RECENT-1", days_ago(1), 7_000)
    too_old = add_customer(engine, "OLD")
    add_outreach(engine, too_old, "sent", days_ago(70))
    add_order(engine, too_old, "OLD-1", days_ago(60), 7_000)
    not_sent = add_customer(engine, "FAILED")
    add_outreach(engine, not_sent, "failed", days_ago(20))
    add_order(engine, not_sent, "FAILED-1", days_ago(10), 7_000)

    with Session(engine) as session:
        outcome = outreach_outcomes(session, now=NOW)

    assert outcome == OutreachOutcome(contacted=3, bought_again=2, revenue_minor=1_800)


@sqlite_only
def test_no_outreach_no_outcome(engine: Engine) -> None:
    with Session(engine) as session:
        assert outreach_outcomes(session, now=NOW) == OutreachOutcome(0, 0, 0)


@sqlite_only
def test_outcome_window_must_make_sense(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(ValueError, match="min_days <= max_days"):
        outreach_outcomes(session, now=NOW, min_days=30, max_days=7)
