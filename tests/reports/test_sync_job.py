"""The nightly sync job: import what is new, then re-score; a failed sync still re-scores, and
`/clv model` says how the last sync went."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, func, select

from bot.slack.render.status import render_model
from clv.insights.model import model_status
from clv.settings import Settings
from clv.store import read_snapshot
from clv.store.tables import orders_table, scoring_runs_table
from reports.jobs import JobContext, configure, sync_job
from reports.scheduler import SCORE_JOB, SYNC_JOB, build_scheduler, install_jobs
from tests.shopdb import ShopDatabase

QUERY = (
    "SELECT ref AS order_id, buyer AS customer_id, placed_at AS ordered_at, total AS amount "
    "FROM shop_orders"
)
NIGHT = datetime(2024, 7, 2, 2, 0, tzinfo=UTC)  # the orders of the small shop end 30 Jun


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def _latest_run_as_of(engine: Engine) -> date:
    runs = scoring_runs_table
    with engine.connect() as connection:
        return (
            connection.execute(
                select(runs.c.as_of).where(runs.c.status == "complete").order_by(runs.c.id.desc())
            )
            .scalars()
            .first()
        )  # type: ignore[return-value]


def _model_text(engine: Engine) -> str:
    with read_snapshot(engine) as session:
        return json.dumps(render_model(model_status(session), currency="USD", zone=UTC))


def test_the_job_syncs_then_scores_and_the_model_says_so(
    shop: Engine, settings: Settings, shop_db: ShopDatabase, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    shop_db.add(
        ("J1", "3", datetime(2024, 7, 1, 9, tzinfo=UTC), Decimal("42.00")),
        ("J2", "401", datetime(2024, 7, 1, 10, tzinfo=UTC), Decimal("19.90")),  # a new customer
        ("J3", "5", datetime(2024, 7, 1, 11, tzinfo=UTC), "n/a" if shop_db.sqlite else None),
    )
    synced = settings.model_copy(
        update={"sync_source": SecretStr(shop_db.url), "sync_query": QUERY}
    )
    before = _count(shop, orders_table)
    configure(JobContext(shop, synced, clock=lambda: NIGHT))
    outcome = sync_job()
    assert (outcome.status, outcome.imported, outcome.rejected) == ("ok", 2, 1)
    assert _count(shop, orders_table) == before + 2
    assert _latest_run_as_of(shop) == date(2024, 7, 1)  # re-scored as of yesterday, new orders in
    assert "orders synced Tue 2 Jul 02:00: 2 new, 1 rejected" in _model_text(shop)


def test_a_failed_sync_imports_nothing_and_scoring_still_runs(
    shop: Engine, settings: Settings, tmp_path: Path
) -> None:
    secret = "n1ghtly-s3cret"
    broken = settings.model_copy(
        update={
            "sync_source": SecretStr(f"postgresql://shop:{secret}@127.0.0.1:9/shop"),
            "sync_query": QUERY,
        }
    )
    before = _count(shop, orders_table)
    configure(JobContext(shop, broken, clock=lambda: NIGHT))
    outcome = sync_job()
    assert outcome.status == "failed"
    assert "cannot connect" in (outcome.error or "")
    assert secret not in (outcome.error or "") + outcome.source
    assert _count(shop, orders_table) == before
    assert _latest_run_as_of(shop) == date(2024, 7, 1)  # the data already there, scored
    text = _model_text(shop)
    assert "orders sync failed Tue 2 Jul 02:00: --from-sql postgresql+psycopg://shop:***@" in text
    assert secret not in text


def test_a_file_that_breaks_half_way_leaves_nothing_of_itself(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    shop = engine
    drop = tmp_path / "drop"
    drop.mkdir()
    header = "order_id,customer_id,ordered_at,amount\n"
    good = [f"F{i},7,2024-07-01T0{i}:00:00,10.00\n" for i in range(1, 6)]
    (drop / "orders-1.csv").write_bytes((header + "".join(good)).encode())
    broken = header + "".join(f"G{i},8,2024-07-01T10:00:00,5.00\n" for i in range(1, 4000))
    (drop / "orders-2.csv").write_bytes(broken.encode() + b"G9,8,2024-07-01,\xff\n")
    synced = settings.model_copy(update={"sync_source": SecretStr(str(drop / "orders-*.csv"))})
    before = _count(shop, orders_table)
    configure(JobContext(shop, synced, clock=lambda: NIGHT))
    outcome = sync_job()
    assert outcome.status == "failed"
    assert "orders-2.csv:4001: byte" in (outcome.error or "")
    assert _count(shop, orders_table) == before + 5  # orders-1 whole; nothing of orders-2


def test_three_nights_of_dropped_files(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    shop = engine
    from clv.ingest.sync import run_sync

    drop = tmp_path / "drop"
    drop.mkdir()
    header = "order_id,customer_id,ordered_at,amount\n"
    (drop / "a.csv").write_text(header + "D1,9,2024-07-01T09:00:00,12.00\n")
    (drop / "b.csv").write_text(header + "D2,9,2024-07-01T10:00:00,13.00\n")
    synced = settings.model_copy(update={"sync_source": SecretStr(str(drop / "*.csv"))})
    one = run_sync(shop, synced, now=NIGHT)
    assert (one.read, one.imported) == (2, 2)
    (drop / "c.csv").write_text(header + "D3,9,2024-07-02T09:00:00,14.00\n")
    (drop / "b.csv").write_text(
        header + "D2,9,2024-07-01T10:00:00,13.00\nD4,9,2024-07-02T11:00:00,1.00\n"
    )
    two = run_sync(shop, synced, now=NIGHT.replace(day=3))
    assert (two.read, two.imported, two.unchanged) == (3, 2, 1)  # c.csv, and b.csv again
    three = run_sync(shop, synced, now=NIGHT.replace(day=4))
    assert (three.status, three.read, three.imported) == ("ok", 0, 0)


def test_with_a_sync_source_the_nightly_job_is_the_sync(settings: Settings, engine: Engine) -> None:
    scheduler = build_scheduler(engine, settings)
    scheduler.start(paused=True)
    install_jobs(scheduler, settings)
    assert scheduler.get_job(SCORE_JOB) is not None
    assert scheduler.get_job(SYNC_JOB) is None
    synced = settings.model_copy(
        update={"sync_source": SecretStr("/srv/drop/*.csv"), "sync_cron": "30 1 * * *"}
    )
    install_jobs(scheduler, synced)
    job = scheduler.get_job(SYNC_JOB)
    assert job is not None
    assert scheduler.get_job(SCORE_JOB) is None  # the sync scores after importing
    assert job.next_run_time.astimezone(UTC).strftime("%H:%M") == "01:30"
    scheduler.shutdown(wait=False)


def test_clvbot_sync_and_clvbot_model_say_how_the_sync_went(
    shop: Engine, env_settings: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from bot.cli.app import app
    from clv.settings import get_settings

    (tmp_path / "drop").mkdir()
    (tmp_path / "drop" / "k.csv").write_text(
        "order_id,customer_id,ordered_at,amount\nK1,11,2024-07-01T09:00:00,12.00\n"
    )
    monkeypatch.setenv("SYNC_SOURCE", str(tmp_path / "drop" / "*.csv"))
    get_settings.cache_clear()
    synced = CliRunner().invoke(app, ["sync"])
    assert synced.exit_code == 0, synced.output
    assert re.fullmatch(
        r"orders synced \w{3} \d+ \w{3} \d\d:\d\d: 1 new, 0 rejected\n", synced.output
    )
    shown = CliRunner().invoke(app, ["model"])
    assert synced.output.strip() in shown.output
    monkeypatch.setenv("SYNC_SOURCE", "sqlite:////nonexistent/dir/shop.db")
    monkeypatch.setenv("SYNC_QUERY", QUERY)
    get_settings.cache_clear()
    failed = CliRunner().invoke(app, ["sync"])
    assert failed.exit_code == 1
    assert "orders sync failed" in failed.output
    assert "cannot connect" in failed.output
