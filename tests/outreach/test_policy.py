"""outreach_eligibility: consent, cooldown and the last contact, for many customers at once."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session

from clv.outreach import outreach_eligibility, request_outreach
from clv.outreach.policy import OutreachRules
from clv.settings import Settings
from clv.store.tables import customers_table
from tests.outreach.conftest import NOW, add_customer, sqlite_only

RULES = OutreachRules(cooldown_days=30, require_email=False)


def test_eligibility_of_many_customers_in_four_queries(engine: Engine, settings: Settings) -> None:
    fresh = add_customer(engine, "FRESH")
    opted_out = add_customer(engine, "OUT", opted_out=True)
    no_email = add_customer(engine, "NOMAIL", email=None)
    recent = add_customer(engine, "RECENT")
    expired = add_customer(engine, "EXPIRED")
    request_outreach(engine, settings, customer_id=recent, requested_by="U1", now=NOW)
    request_outreach(
        engine, settings, customer_id=expired, requested_by="U2", now=NOW - timedelta(days=31)
    )
    ids = [fresh, opted_out, no_email, recent, expired, 999]
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    with Session(engine) as session:
        result = outreach_eligibility(
            session, customer_ids=ids, rules=OutreachRules(30, require_email=True),
            now=NOW + timedelta(days=3),
        )  # fmt: skip
    event.remove(engine, "before_cursor_execute", count)

    # the customers, their contacts, the current list week and the open assignments
    assert len(statements) == 4
    assert {i: (e.eligible, e.reason) for i, e in result.items()} == {
        fresh: (True, None),
        opted_out: (False, "opted out of marketing"),
        no_email: (False, "no email address"),
        recent: (False, "contacted on 2024-06-02 by U1; next possible on 2024-07-02"),
        expired: (True, None),
        999: (False, "unknown customer"),
    }
    assert (result[recent].last_status, result[recent].last_by) == ("sent", "U1")
    assert result[recent].next_possible == date(2024, 7, 2)
    last_at = result[recent].last_at
    assert last_at is not None
    assert last_at >= NOW
    assert (result[expired].last_by, result[expired].next_possible) == ("U2", None)


@sqlite_only
def test_opted_out_reason_wins_over_cooldown(engine: Engine, settings: Settings) -> None:
    customer = add_customer(engine, "C1")
    request_outreach(engine, settings, customer_id=customer, requested_by="U1", now=NOW)

    with Session(engine) as session:
        before = outreach_eligibility(session, customer_ids=[customer], rules=RULES, now=NOW)
    with engine.begin() as connection:
        connection.execute(customers_table.update().values(opted_out=True))
    with engine.connect() as connection:
        after = outreach_eligibility(connection, customer_ids=[customer], rules=RULES, now=NOW)

    assert before[customer].eligible is False
    assert after[customer].reason == "opted out of marketing"


@sqlite_only
def test_no_customers_no_queries(engine: Engine) -> None:
    with Session(engine) as session:
        assert outreach_eligibility(session, customer_ids=[], rules=RULES, now=NOW) == {}
