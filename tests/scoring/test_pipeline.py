"""Scoring runs end to end on a real database: models, classes, atomicity and history."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session

from clv.datasets import cdnow_purchases, write_cdnow_orders_csv
from clv.ingest import import_customers, import_orders
from clv.insights import (
    NoScoresError,
    current_run,
    group_summary,
    model_status,
    weekly_trend,
)
from clv.scoring.pipeline import ScoringError, score
from clv.settings import Settings
from clv.store.tables import customer_scores_table, customer_weekly_table, scoring_runs_table
from tests.helpers import dormant_of, view_of, write_csv
from tests.scoring.stores import import_order_rows, steady_rows


def test_cdnow_bgnbd_run_reports_published_parameters_and_holdout(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    import_orders(engine, write_cdnow_orders_csv(tmp_path / "cdnow.csv"), settings)
    score(engine, settings, as_of=date(1997, 9, 30), model="bgnbd")
    with Session(engine) as session:
        status = model_status(session).as_dict()  # the documented --json keys
    params = status["transactions_model"]["params"]
    # Fader, Hardie & Lee (2005): r = 0.243, alpha = 4.414 (weeks), a = 0.793, b = 2.426
    assert round(params["r"], 3) == 0.243
    assert round(params["alpha"] / 7, 3) == 4.414
    assert round(params["a"], 3) == 0.793
    assert round(params["b"], 3) == 2.426
    assert status["time_unit"] == "days"
    assert status["transactions_model"]["n_customers"] == 2357
    # the holdout is the real 1997-10-01..1998-06-30 period; count its repeat purchase days
    # straight from the raw file, independently of the store
    later = {(p.customer_id, p.ordered_on) for p in cdnow_purchases() if p.ordered_on > "19970930"}
    holdout = status["holdout"]
    assert holdout["actual_repeat_purchases"] == len(later) == 1882
    assert holdout["holdout_days"] == 273
    # FHL (2005) fig. 5: customers with no repeat purchase made 0.236 per head in the holdout,
    # the BG/NBD expected 0.226
    zero = holdout["by_frequency"][0]
    assert zero["frequency"] == "0"
    assert round(zero["actual"] / zero["customers"], 3) == 0.237
    assert round(zero["predicted"] / zero["customers"], 3) == 0.225
    assert holdout["predicted_repeat_purchases"] == pytest.approx(1653, rel=0.01)


def test_one_customer_store_scores_with_warnings(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    import_order_rows(
        engine,
        settings,
        tmp_path,
        [["o1", "solo", "2024-01-05", "20"], ["o2", "solo", "2024-03-01", "30"]],
    )
    (result,) = score(engine, settings, as_of=date(2024, 6, 30))
    assert any("only 1 customers" in w for w in result.warnings)
    with Session(engine) as session:
        view = view_of(session, "solo")
    assert view.scores.orders == 2
    assert view.scores.historical_value_minor == 5000
    assert view.scores.segment  # a segment even alone
    assert view.scores.tier == "Platinum"  # the top of a base of one


def test_refund_only_customer_is_a_prospect_with_negative_history(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = [
        ["o1", "a", "2024-01-05", "20"],
        ["o2", "a", "2024-02-05", "25"],
        ["o3", "b", "2024-02-10", "15"],
        ["r1", "refunder", "2024-03-01", "-12.50"],
    ]
    import_order_rows(engine, settings, tmp_path, rows)
    score(engine, settings, as_of=date(2024, 6, 30))
    with Session(engine) as session:
        view = view_of(session, "refunder")
    assert view.scores.historical_value_minor == -1250
    assert (view.scores.orders, view.scores.refunds) == (0, 1)
    assert view.scores.stage == "prospect"
    assert view.scores.segment == "Prospects"
    assert view.scores.dormant is False


def test_dormant_by_days_since_last_purchase(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = [["o1", "old", "2023-01-05", "20"], ["o2", "new", "2024-06-20", "25"]]
    import_order_rows(engine, settings, tmp_path, rows)
    score(engine, settings, as_of=date(2024, 6, 30))
    with Session(engine) as session:
        dormant = dormant_of(session, limit=10).rows
    ids = [d.customer_id for d in dormant]
    assert "old" in ids
    assert "new" not in ids
    reason = next(d.dormant_reason for d in dormant if d.customer_id == "old")
    assert reason is not None
    assert "no purchase for 542 days (> 180)" in reason


def test_opted_out_customers_are_marked_in_the_dormant_list(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    import_order_rows(engine, settings, tmp_path, [["o1", "gone", "2022-01-05", "20"]])
    import_customers(
        engine,
        write_csv(tmp_path / "c.csv", ["customer_id", "opted_out"], [["gone", "yes"]]),
        settings,
    )
    score(engine, settings, as_of=date(2024, 6, 30))
    with Session(engine) as session:
        (only,) = dormant_of(session).rows
    assert only.opted_out is True


def test_failed_run_keeps_previous_scores_readable(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    import_order_rows(
        engine,
        settings,
        tmp_path,
        [["o1", "a", "2024-01-05", "20"], ["o2", "a", "2024-02-05", "20"]],
    )
    (good,) = score(engine, settings, as_of=date(2024, 6, 30))
    with pytest.raises(ScoringError, match="no customer has a purchase on or before 2023-01-01"):
        score(engine, settings, as_of=date(2023, 1, 1))
    with Session(engine) as session:
        assert current_run(session).id == good.run_id
        assert view_of(session, "a").as_of == date(2024, 6, 30)
        failed = model_status(session).failed_since
    assert failed is not None
    assert "no customer has a purchase" in failed.error


def test_failure_while_writing_changes_nothing(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    import_order_rows(
        engine,
        settings,
        tmp_path,
        [["o1", "a", "2024-01-05", "20"], ["o2", "b", "2024-02-05", "20"]],
    )
    (good,) = score(engine, settings, as_of=date(2024, 6, 30))
    # make the database itself refuse the run's last write (the weekly history)
    if engine.dialect.name == "sqlite":
        ddl = [
            "CREATE TRIGGER refuse BEFORE INSERT ON customer_weekly "
            "BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END"
        ]
    else:
        ddl = [
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'disk full (simulated)'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse BEFORE INSERT ON customer_weekly "
            "FOR EACH ROW EXECUTE FUNCTION refuse()",
        ]
    with engine.begin() as connection:
        for statement in ddl:
            connection.execute(text(statement))
    with pytest.raises(ScoringError, match="disk full"):
        score(engine, settings, as_of=date(2024, 7, 31))
    with Session(engine) as session:
        assert current_run(session).id == good.run_id
        scored = session.execute(
            select(func.count()).select_from(customer_scores_table)
        ).scalar_one()
        statuses = session.execute(select(scoring_runs_table.c.status)).scalars().all()
    assert scored == 2  # the previous run's rows are still there
    assert sorted(statuses) == ["complete", "failed"]


def test_no_scores_yet_says_how_to_make_them(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(NoScoresError, match="run `clvbot score`"):
        current_run(session)


def test_backfill_builds_weekly_history_and_prunes_it(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    short = Settings(database_url=database_url, history_weeks=4, _env_file=None)  # type: ignore[call-arg]
    rows = steady_rows(40, 120, start=date(2024, 1, 1), every_days=3)
    import_order_rows(engine, short, tmp_path, rows)
    results = score(engine, short, as_of=date(2024, 12, 31), backfill=6)
    assert [r.as_of for r in results][-1] == date(2024, 12, 31)
    assert len(results) == 7
    with Session(engine) as session:
        weeks = session.execute(select(customer_weekly_table.c.week_end).distinct()).scalars().all()
        trend = weekly_trend(session, weeks=13)
        view = view_of(session, "c1")
    assert len(weeks) == 4  # pruned to HISTORY_WEEKS
    assert len(trend) == 7  # per-run aggregates are kept for good
    assert len(view.history) == 4
    assert all(t.customers == 40 for t in trend)


def test_segment_summary_with_week_over_week_change(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = steady_rows(30, 90, start=date(2024, 1, 1), every_days=5)
    import_order_rows(engine, settings, tmp_path, rows)
    score(engine, settings, as_of=date(2025, 6, 30), backfill=1)
    with Session(engine) as session:
        group = group_summary(session, "hibernating")
    assert group.name == "Hibernating"
    assert group.rule == "R 1–2 and F 1–2"
    assert group.previous_customers is not None
    assert group.customers_change == group.customers - group.previous_customers
    assert len(group.top) == min(10, group.customers)
    values = [t.predicted_clv for t in group.top]
    assert values == sorted(values, reverse=True)
    with Session(engine) as session:  # the previous week's run counted the same group
        runs = weekly_trend(session, weeks=13)
    assert group.previous_customers == runs[-2].customers_in("segment", "Hibernating")
