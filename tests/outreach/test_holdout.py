"""The control group: the same customer and week always land in the same arm (in any process,
on any run), the arm is recorded once and kept for its window, and a held-out customer is
never contacted, even by a forged click."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func, select

from clv.outreach import request_outreach
from clv.outreach.holdout import (
    WINDOW_DAYS,
    Assignment,
    HoldoutRules,
    ListEntry,
    assign,
    draw_arm,
    open_assignments,
    record,
)
from clv.settings import Settings
from clv.store.tables import outreach_assignments_table, outreach_contacts_table, outreach_table
from tests.outreach.conftest import NOW, add_customer, smtp_settings
from tests.smtp import SmtpServer

WEEK = date(2024, 6, 2)  # the conftest run's week end: the list week of its lists
RULES = HoldoutRules(0.10, "clvbot")
KEYS = [f"C{i}" for i in range(4000)]
CHILD = """
import json, sys
from datetime import date
from clv.outreach.holdout import HoldoutRules, draw_arm
keys = json.loads(sys.stdin.read())
print(json.dumps([draw_arm(k, date(2024, 6, 2), HoldoutRules(0.10, "clvbot")) for k in keys]))
"""


def independent_arm(key: str, week: date, share: float, seed: str) -> str:
    """The documented rule, computed here without clvbot: SHA-256 of seed:key:week, its first
    eight bytes as a fraction of 2**64, held out below the share."""
    value = int(hashlib.sha256(f"{seed}:{key}:{week}".encode()).hexdigest()[:16], 16)
    return "holdout" if value / 2**64 < share else "contact"


def test_the_arm_is_the_documented_hash_in_every_process() -> None:
    mine = [draw_arm(key, WEEK, RULES) for key in KEYS]
    assert mine == [independent_arm(key, WEEK, 0.10, "clvbot") for key in KEYS]
    for seed in ("1", "2"):  # other processes, with other str hash seeds: the same arms
        env = {**os.environ, "PYTHONHASHSEED": seed}
        child = subprocess.run([sys.executable, "-c", CHILD], input=json.dumps(KEYS), env=env,
                               capture_output=True, text=True, check=True)  # fmt: skip
        assert json.loads(child.stdout) == mine
    held = mine.count("holdout")
    assert 400 - 3 * 19 <= held <= 400 + 3 * 19  # 10 % of 4,000 within three binomial sd
    next_week = [draw_arm(key, WEEK + timedelta(days=7), RULES) for key in KEYS]
    assert next_week != mine  # a new week is a new draw


def test_an_arm_is_recorded_once_and_kept_for_its_window(engine: Engine) -> None:
    customer = add_customer(engine, "C7")
    first = assign_one(engine, customer, WEEK, HoldoutRules(0.0, "clvbot"))
    assert (first.arm, first.recorded) == ("contact", False)
    with engine.begin() as connection:
        entry = ListEntry(first, "dormant", "Gold", "At Risk", 120.0)
        assert record(connection, [entry], source="digest", now=NOW) == 1
        assert record(connection, [entry], source="dormant", now=NOW) == 0  # one row
    everyone_held = HoldoutRules(1.0, "clvbot")  # the share changes: the recorded arm stays
    for days in (49, WINDOW_DAYS):  # the list week of day 56 still holds days of the window
        later = assign_one(engine, customer, WEEK + timedelta(days=days), everyone_held)
        assert (later.arm, later.week_end, later.recorded) == ("contact", WEEK, True)
    earlier = assign_one(engine, customer, WEEK - timedelta(days=7), everyone_held)
    assert (earlier.arm, earlier.week_end) == ("contact", WEEK)  # an earlier day re-scored
    after = assign_one(engine, customer, WEEK + timedelta(days=WINDOW_DAYS + 7), everyone_held)
    assert (after.arm, after.week_end, after.recorded) == ("holdout", after.week_end, False)


def assign_one(engine: Engine, customer: int, week: date, rules: HoldoutRules) -> Assignment:
    with engine.connect() as connection:
        key = "C7"
        return assign(connection, [(customer, key)], week_end=week, rules=rules)[customer]


def held_out_key() -> str:
    return next(k for k in KEYS if independent_arm(k, WEEK, 0.10, "clvbot") == "holdout")


def test_a_forged_click_on_a_held_out_customer_contacts_nobody(
    engine: Engine, settings: Settings, smtp_server: SmtpServer
) -> None:
    settings = smtp_settings(settings, smtp_server.port, outreach_holdout_share=0.10)
    key = held_out_key()
    customer = add_customer(engine, key, last_order=NOW - timedelta(days=300))
    for _ in range(3):  # nobody showed them with a button: the click is forged, or replayed
        result = request_outreach(engine, settings, customer_id=customer, requested_by="U1",
                                  source="digest:C1:2024-06-02", now=NOW)  # fmt: skip
        assert result.status == "held_out"
        assert result.reason is not None
        assert result.reason.startswith("held out as the control group of the list week")
    assert smtp_server.messages == []
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(outreach_contacts_table)
                                  ).scalar_one() == 0  # fmt: skip
        statuses = connection.execute(select(outreach_table.c.status)).scalars().all()
    assert statuses == ["refused"] * 3  # each refusal is in the audit


@pytest.mark.parametrize("share", [0.0, 0.10])
def test_a_recorded_holdout_is_never_contacted_while_its_window_is_open(
    engine: Engine, settings: Settings, smtp_server: SmtpServer, share: float
) -> None:
    """Recorded in the control group, a customer stays there for the window, even when the
    share is lowered (to none) afterwards or next week's draw would contact them."""
    customer = add_customer(engine, "C7", last_order=NOW - timedelta(days=300))
    held = Assignment(customer, WEEK - timedelta(days=7), "holdout", recorded=False)
    with engine.begin() as connection:
        record(connection, [ListEntry(held, "dormant", None, "Hibernating", 0.0)],
               source="digest", now=NOW - timedelta(days=7))  # fmt: skip
    settings = smtp_settings(settings, smtp_server.port, outreach_holdout_share=share)
    result = request_outreach(engine, settings, customer_id=customer, requested_by="U1", now=NOW)
    assert result.status == "held_out"
    assert smtp_server.messages == []


def test_a_click_on_a_contact_arm_customer_records_the_arm_and_sends(
    engine: Engine, settings: Settings, smtp_server: SmtpServer
) -> None:
    key = next(k for k in KEYS if independent_arm(k, WEEK, 0.10, "clvbot") == "contact")
    customer = add_customer(engine, key, last_order=NOW - timedelta(days=300))
    settings = smtp_settings(settings, smtp_server.port, outreach_holdout_share=0.10)
    result = request_outreach(engine, settings, customer_id=customer, requested_by="U1", now=NOW)
    assert result.status == "sent"
    assert len(smtp_server.messages) == 1
    with engine.connect() as connection:
        rows = connection.execute(select(outreach_assignments_table)).all()
        assert open_assignments(connection, [customer], WEEK)[customer].arm == "contact"
    assert [(r.arm, r.source, r.week_end) for r in rows] == [("contact", "click", WEEK)]
