"""Rendering the digest: within Block Kit limits whatever the data, escaped, masked, buttons
only where outreach is allowed, and the chart's numbers in the text."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from clv.outreach.experiment import Comparison, ExperimentReport
from clv.outreach.lift import ArmOutcome, estimate_lift
from clv.present.blocks import MAX_BLOCKS, MAX_SECTION, MAX_TOTAL_TEXT, block_text_size
from clv.present.outreach import OUTREACH_ACTION
from clv.scoring.records import HoldoutCheck
from clv.settings import Settings
from reports.digest.data import (
    Digest,
    DormantRow,
    Drivers,
    Migration,
    ModelHealth,
    Mover,
    SegmentRow,
    WeekPoint,
    build_digest,
)
from reports.digest.publish import chart_png
from reports.digest.render import SHORTENED, driver_sentence, render_blocks, render_text
from tests.reports.conftest import CHANNEL, MONDAY_9AM

HOSTILE = "<!channel> *bold* & <https://evil.example|click me> " * 8


def hostile_digest(rows: int = 20) -> Digest:
    weeks = [date(2024, 4, 7) + timedelta(weeks=k) for k in range(13)]
    return Digest(
        week_end=weeks[-1], as_of=weeks[-1], currency="USD", currency_exponent=2,
        trend=[WeekPoint(w, 1e6 + k, 100.0 + k, 10, 5, 1000) for k, w in enumerate(weeks)],
        customer_equity=1e6 + 12, change_week=1.0, change_4_weeks=4.0,
        drivers=Drivers(3, 120.0, 2, -50.0, -69.0),
        segments=[SegmentRow(HOSTILE, 10, 100.0, 1, 5.0)] * 11,
        migrations=[Migration(HOSTILE, HOSTILE, 41)] * 5,
        rises=[Mover(HOSTILE, HOSTILE, 1.0, 2.0)] * 5,
        falls=[Mover(HOSTILE, HOSTILE, 2.0, 1.0)] * 5,
        model=ModelHealth("MBG/NBD", weeks[-1], datetime(2024, 7, 1, tzinfo=UTC),
                          holdout_of(predicted=100.0, actual=90.0), (HOSTILE,) * 3),
        outreach=experiment_of(weeks[-1]),
        dormant=[
            DormantRow(k + 1, HOSTILE, HOSTILE, HOSTILE, 10.0, 99.0, HOSTILE, k % 3 == 0,
                       k % 3 != 0, "opted out of marketing" if k % 3 == 0 else None)
            for k in range(rows)
        ],
        dormant_total=1234, dormant_as_of=weeks[-1],
    )  # fmt: skip


def experiment_of(today: date) -> ExperimentReport:
    """400 contacted (80 bought again) against 50 held out (5), as the digest reports them."""
    lift = estimate_lift(ArmOutcome(400, 80, 4000.0, 400_000.0), ArmOutcome(50, 5, 300.0, 20_000.0))
    overall = Comparison("all", lift, lift)
    return ExperimentReport(today, today - timedelta(days=56), today - timedelta(days=14),
                            overall, (overall,), ())  # fmt: skip


def holdout_of(*, predicted: float, actual: float) -> HoldoutCheck:
    return HoldoutCheck(
        calibration_end=date(2024, 4, 1), holdout_end=date(2024, 6, 30), holdout_days=90,
        customers=400, predicted_repeat_purchases=predicted, actual_repeat_purchases=actual,
        relative_error=(predicted - actual) / actual, mean_absolute_error=0.4, by_frequency=(),
        fitted_on=400,
    )  # fmt: skip


def test_the_digest_stays_within_block_kit_limits_and_escapes_everything() -> None:
    message = render_blocks(hostile_digest(), channel=CHANNEL)
    blocks = message["blocks"]
    assert len(blocks) <= MAX_BLOCKS
    assert sum(block_text_size(b) for b in blocks) <= MAX_TOTAL_TEXT
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        assert len(text) <= MAX_SECTION
    raw = json.dumps(blocks)
    assert "<!channel>" not in raw
    assert "<https://evil" not in raw
    assert "&lt;!channel&gt;" in raw
    assert message["text"]  # the fallback text for notifications and screen readers
    # the re-engagement list keeps all its rows; the middle sections are shortened, and say so
    rows = [b for b in blocks if str(b.get("block_id", "")).startswith("outreach:")]
    assert len(rows) == 20
    assert SHORTENED in raw


def test_buttons_only_where_outreach_is_allowed() -> None:
    digest = hostile_digest(rows=6)
    blocks = render_blocks(digest, channel=CHANNEL)["blocks"]
    rows = {b["block_id"]: b for b in blocks if str(b.get("block_id", "")).startswith("outreach:")}
    assert len(rows) == 6
    for row in digest.dormant:
        block = rows[f"outreach:{row.customer_id}"]
        if row.eligible:
            assert block["accessory"]["action_id"] == OUTREACH_ACTION
            assert json.loads(block["accessory"]["value"])["customer"] == row.customer_id
        else:
            assert "accessory" not in block
            assert "opted out of marketing" in block["text"]["text"]


def test_the_text_version_carries_the_chart_numbers() -> None:
    digest = hostile_digest()
    text = render_text(digest)
    assert "<!channel>" in text  # plain text, not mrkdwn: nothing to escape
    for point in digest.trend:
        assert f"{point.week_end:%d %b}: ${point.customer_equity:,.0f}" in text
    assert chart_png(digest).startswith(b"\x89PNG")


def test_the_driver_sentence_names_what_moved_equity() -> None:
    sentence = driver_sentence(
        Drivers(340, 8100.0, 95, -4200.0, 8400.0), 12300.0,
        lambda v: f"${v:,.0f}", lambda v: f"+${v:,.0f}",
    )  # fmt: skip
    assert sentence == (
        "340 new customers added $8,100, 95 customers going dormant took away $4,200 and "
        "changed purchase and spend behaviour of existing customers added $8,400."
    )


@pytest.mark.usefixtures("shop")
def test_the_digest_of_a_scored_shop_masks_personal_data(
    engine: Engine, settings: Settings
) -> None:
    with Session(engine) as session:
        digest = build_digest(session, settings, week_end=None, now=MONDAY_9AM)
    assert len(digest.trend) == 4  # three backfilled weeks and the current one
    assert digest.change_week == pytest.approx(
        digest.trend[-1].customer_equity - digest.trend[-2].customer_equity
    )
    # the drivers, kept by the scoring run, add up to the change of the runs' equity
    drivers = digest.drivers
    assert drivers is not None
    parts = drivers.new_customers_clv + drivers.went_dormant_change + drivers.others_change
    assert parts == pytest.approx(digest.change_week, rel=1e-9, abs=1e-6)
    assert digest.rises or digest.falls
    assert digest.dormant
    text = json.dumps(render_blocks(digest, channel=CHANNEL))
    assert "Buyer Number" not in text
    assert "@example.com" not in text
    opted_out = [row for row in digest.dormant if row.opted_out]
    assert all(not row.eligible for row in opted_out)


@pytest.mark.usefixtures("shop")
def test_a_digest_of_a_later_week_says_the_scores_are_stale(
    engine: Engine, settings: Settings
) -> None:
    later = date(2024, 7, 14)  # two weeks after the last scored week
    with Session(engine) as session:
        digest = build_digest(session, settings, week_end=later, now=MONDAY_9AM)
    assert digest.week_end == date(2024, 6, 30)
    assert digest.note is not None
    assert "the week ending 2024-06-30, not 2024-07-14: no scores as of 2024-07-14" in digest.note
    assert digest.note in render_text(digest)
    assert digest.note in json.dumps(render_blocks(digest, channel=CHANNEL))


def test_the_outreach_results_compare_contacted_with_held_out() -> None:
    text = render_text(hostile_digest(rows=2), channel=CHANNEL)
    line = next(row for row in text.splitlines() if row.startswith("Outreach results"))
    assert "400 contacted customers: 20% bought again, $10.00 per customer" in line
    assert "50 held out: 10%, $6.00" in line
    assert "Outreach added +10.0 pts of repurchase rate (90%: " in line
    assert "about +40 repurchases" in line  # 10 points of 400 contacted


def test_few_held_out_customers_are_too_few_to_tell() -> None:
    few = estimate_lift(ArmOutcome(400, 80, 4000.0, 400_000.0), ArmOutcome(12, 1, 0.0, 0.0))
    digest = hostile_digest(rows=2)
    report = ExperimentReport(digest.as_of, digest.as_of, digest.as_of,
                              Comparison("all", few, few), (), ())  # fmt: skip
    text = render_text(replace(digest, outreach=report), channel=CHANNEL)
    assert "too few customers yet to tell: 400 contacted and 12 held out (at least 30" in text
