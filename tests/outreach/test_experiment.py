"""The outreach report recovers a known lift: a simulated shop whose contacted customers buy
again more often by a known amount (and one where outreach does nothing), written to the
store as lists, sends and orders, then read back by `experiment_report` (SQLite and
PostgreSQL). The interval's calibration over many simulations is tests/outreach/test_lift.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import Engine, insert

from clv.outreach.experiment import experiment_report, read_subjects
from clv.outreach.holdout import HoldoutRules, draw_arm
from clv.store.tables import (
    customers_table,
    orders_table,
    outreach_assignments_table,
    outreach_table,
)

TODAY = datetime(2024, 7, 24, 12, tzinfo=UTC)  # a Wednesday
WEEK = date(2024, 6, 30)  # the list week: 24 days ago, inside the 2-8 week window
ASSIGNED = datetime(2024, 7, 1, 9, tzinfo=UTC)  # Monday's digest
CUSTOMERS = 6000
BASELINE = 0.15  # chance of buying again within the window, without outreach
RULES = HoldoutRules(0.10, "clvbot")


def simulate_shop(engine: Engine, *, uplift: float, seed: int) -> float:
    """Write the shop; return the true effect on the repurchase rate of the contacted."""
    rng = np.random.default_rng(seed)
    keys = [f"S{i}" for i in range(CUSTOMERS)]
    arms = [draw_arm(key, WEEK, RULES) for key in keys]
    contacted = np.array([arm == "contact" for arm in arms])
    chance = BASELINE + uplift * contacted
    buys = rng.random(CUSTOMERS) < chance
    with engine.begin() as connection:
        connection.execute(insert(customers_table),
                           [{"id": i + 1, "external_id": k, "email": f"{k}@x.example"}
                            for i, k in enumerate(keys)])  # fmt: skip
        connection.execute(insert(outreach_assignments_table), [
            {"customer_id": i + 1, "week_end": WEEK, "arm": arms[i], "assigned_at": ASSIGNED,
             "source": "digest", "reason": "dormant", "tier": "Gold" if i % 3 else "Platinum",
             "segment": "At Risk", "predicted_clv": 100.0} for i in range(CUSTOMERS)
        ])  # fmt: skip
        sent = ASSIGNED + timedelta(hours=2)
        connection.execute(insert(outreach_table), [
            {"customer_id": int(i) + 1, "requested_by": "U1", "requested_at": sent,
             "backend": "log", "status": "sent", "finished_at": sent}
            for i in np.flatnonzero(contacted)
        ])  # fmt: skip
        orders = []
        for i in np.flatnonzero(buys):
            at = sent + timedelta(days=float(rng.uniform(0.5, 22)))
            orders.append({"external_id": f"o{i}", "customer_id": int(i) + 1, "ordered_at": at,
                           "ordered_on": at.date(),
                           "amount_minor": int(rng.gamma(2.0, 2500))})  # fmt: skip
        connection.execute(insert(orders_table), orders)
    return uplift  # a constant additive uplift: the average effect is the uplift itself


@pytest.mark.parametrize(("uplift", "seed"), [(0.08, 11), (0.0, 12)], ids=["uplift", "none"])
def test_the_report_recovers_the_true_lift_within_its_interval(
    engine: Engine, uplift: float, seed: int
) -> None:
    truth = simulate_shop(engine, uplift=uplift, seed=seed)
    with engine.connect() as connection:
        report = experiment_report(connection, now=TODAY, exponent=2)
    lift = report.overall.contacted
    assert (report.first_week, report.last_week) == (date(2024, 5, 29), date(2024, 7, 10))
    assert lift.enough
    assert lift.held_out.customers + lift.contacted.customers == CUSTOMERS
    assert 500 <= lift.held_out.customers <= 700  # 10 % held out
    assert lift.rate_interval.low <= truth <= lift.rate_interval.high
    assert abs(lift.rate_difference - truth) < 0.04
    if uplift:  # a real effect is told from none
        assert lift.rate_interval.low > 0
        assert lift.incremental_repurchases == pytest.approx(
            lift.rate_difference * lift.contacted.customers
        )
    else:
        assert lift.rate_interval.low < 0 < lift.rate_interval.high
    # everyone in the contact arm was contacted: the arm's comparison is the same numbers
    assert report.overall.contact_arm.rate_difference == pytest.approx(lift.rate_difference)
    assert [w.group for w in report.weeks] == ["2024-06-30"]
    assert [t.group for t in report.tiers] == ["Gold", "Platinum"]


def test_too_few_customers_say_so(engine: Engine) -> None:
    with engine.connect() as connection:
        report = experiment_report(connection, now=TODAY, exponent=2)
    assert not report.overall.contacted.enough
    assert report.weeks == ()


def test_a_list_shown_before_its_week_end_counts_its_sends_and_orders(engine: Engine) -> None:
    """The digest of the oldest reported week was shown six days before its week end: its
    sends and orders since then count (the window starts at the assignment)."""
    today = datetime.combine(WEEK + timedelta(days=56), datetime.min.time(), tzinfo=UTC)
    shown = datetime.combine(WEEK - timedelta(days=6), datetime.min.time(), tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(insert(customers_table), [{"id": 1, "external_id": "E1"}])
        connection.execute(insert(outreach_assignments_table), [
            {"customer_id": 1, "week_end": WEEK, "arm": "contact", "assigned_at": shown,
             "source": "digest", "reason": "dormant", "segment": "At Risk",
             "predicted_clv": 1.0}])  # fmt: skip
        sent = shown + timedelta(days=1)
        connection.execute(insert(outreach_table), [
            {"customer_id": 1, "requested_by": "U1", "requested_at": sent, "backend": "log",
             "status": "sent", "finished_at": sent}])  # fmt: skip
        bought = shown + timedelta(days=2)
        connection.execute(insert(orders_table), [
            {"external_id": "o1", "customer_id": 1, "ordered_at": bought,
             "ordered_on": bought.date(), "amount_minor": 1234}])  # fmt: skip
    with engine.connect() as connection:
        (subject,) = read_subjects(connection, first=WEEK, last=WEEK, now=today, exponent=2)
    assert (subject.contacted, subject.repurchased, subject.revenue) == (True, True, 12.34)
