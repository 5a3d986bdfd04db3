"""Every figure of `clvbot channels --json`, `funnel --json`, `cohorts --json` and `nps --json`,
computed again in plain Python from the imported rows and the stored scores
(`tests.scoring.acquisition_expect`), on the demo shop and on CDNOW with channels, CACs, NPS
answers and acquisition times given by a fixed rule (issue 14, acceptance 1).

Both stores keep TIMEZONE Europe/Berlin: an acquisition at 00:30 local on the first of a month
is 22:30 or 23:30 UTC the day before, so a month cohort taken from the UTC day would differ.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli import app
from clv.datasets import generate_shop, write_cdnow_orders_csv, write_shop_csvs
from clv.ingest import import_customers, import_orders
from clv.scoring.pipeline import score
from clv.scoring.reports import inputs
from clv.segments.definitions import CLV_TIERS, all_segments
from clv.settings import Settings, get_settings
from tests.helpers import write_csv
from tests.scoring import acquisition_expect as expect

ZONE = "Europe/Berlin"
MARGIN = 0.4
SHOP_NOW = datetime(2024, 6, 30, 15, 30)  # naive: the shop's time
SHOP_AS_OF = date(2024, 6, 16)  # orders after it are left out
CDNOW_AS_OF = date(1997, 9, 30)
runner = CliRunner()
Cli = Callable[..., Any]


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """`clvbot ARGS --json` in-process on the test database, its output parsed."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TIMEZONE", ZONE)
    monkeypatch.setenv("GROSS_MARGIN", str(MARGIN))
    for name in ("NPS_MIN_RESPONSES", "CLV_CAC_TARGET"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()

    def run(*args: str) -> Any:
        result = runner.invoke(app, [*args, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    yield run
    get_settings.cache_clear()


def assert_same(got: Any, expected: Any, where: str) -> None:
    """Equal, floats to 1e-9, lists element by element, dicts key by key (the same keys)."""
    if isinstance(expected, dict):
        assert isinstance(got, dict), where
        assert set(got) == set(expected), where
        for key, value in expected.items():
            assert_same(got[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list), where
        assert len(got) == len(expected), (where, got, expected)
        for k, (g, e) in enumerate(zip(got, expected, strict=True)):
            assert_same(g, e, f"{where}[{k}]")
    elif isinstance(expected, float):
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-9), where
    else:
        assert got == expected, where
        assert type(got) is type(expected), where


def assert_rows(got: list[dict[str, Any]], expected: list[dict[str, Any]], key: str) -> None:
    """The same groups in the same order, each with the same figures."""
    assert [r[key] for r in got] == [r[key] for r in expected]
    for g, e in zip(got, expected, strict=True):
        assert_same(g, e, f"{key}={e[key]}")


# --- checks ---------------------------------------------------------------------------------
def current_people(stored: expect.Stored) -> list[expect.Person]:
    run = stored.current
    predicted = {cid: float(row["predicted_clv"]) for cid, row in stored.scores.items()}
    people = expect.people_at(stored, run.as_of, zone=ZoneInfo(ZONE), margin=MARGIN,
                              predicted=predicted, scores=stored.scores)  # fmt: skip
    for p in people:  # the stored scores agree with the orders as read here
        assert stored.scores[p.cid]["first_order"] == p.first, p.cid
        assert stored.scores[p.cid]["frequency"] == max(p.purchase_days - 1, 0), p.cid
    return people


def check_channels(cli: Cli, stored: expect.Stored, people: list[expect.Person]) -> None:
    run = stored.current
    got = cli("channels")
    rows = expect.channel_rows(people, MARGIN)
    equity = sum(p.predicted for p in people)
    assert got["customer_equity"] == pytest.approx(equity, rel=1e-9)
    assert got["customer_equity"] == pytest.approx(run.customer_equity, rel=1e-9)
    assert sum(r["predicted_total"] for r in got["channels"]) == pytest.approx(equity, rel=1e-9)
    assert got["target"] == expect.TARGET
    assert (got["run"]["run_id"], got["run"]["as_of"]) == (run.run_id, run.as_of.isoformat())
    old = stored.run_before(run)
    assert old is not None
    assert old.kind == "backfill"
    week = stored.weekly[old.as_of]  # the buyers' predicted CLVs of that run
    assert sum(week.values()) == pytest.approx(old.customer_equity, rel=1e-9)
    old_people = expect.people_at(stored, old.as_of, zone=ZoneInfo(ZONE), margin=MARGIN,
                                  predicted=week)  # fmt: skip
    assert {p.cid for p in old_people if p.first} == set(week)
    old_rows = expect.channel_rows(old_people, MARGIN)
    assert got["compared_with"] == old.as_of.isoformat()
    assert_rows(got["channels"], expect.with_changes(rows, old_rows, old.as_of), "channel")
    changed = [r for r in got["channels"] if r["change_4_weeks"]["customers"] != 0]
    assert changed  # customers were acquired in those four weeks


def check_funnel(cli: Cli, people: list[expect.Person]) -> None:
    got = cli("funnel")
    wanted = expect.funnel(people)
    assert set(got) == {"run", *wanted}
    assert_same(got["all"], wanted["all"][0], "all")
    for part in ("channels", "cohorts_month", "cohorts_quarter"):
        assert_rows(got[part], wanted[part], "group")


def check_cohorts(cli: Cli, people: list[expect.Person], as_of: date) -> None:
    for period in ("month", "quarter"):
        got = cli("cohorts", "--period", period)
        wanted = expect.cohorts(people, period, as_of)
        assert (got["period"], got["unplaced"]) == (period, wanted["unplaced"])
        assert_rows(got["cohorts"], wanted["cohorts"], "cohort")
        for row in got["cohorts"]:  # a cohort has begun by the run's day
            assert row["periods"] >= 1, row["cohort"]
            assert len(row["retention"]) == row["periods"], row["cohort"]


def check_nps(cli: Cli, people: list[expect.Person]) -> list[dict[str, Any]]:
    """Every NPS group as `clvbot nps` shows it; returns them all."""
    orders = {
        "segment": [s.name for s in all_segments()],
        "tier": [t.name for t in CLV_TIERS],
        "channel": expect.channel_order({p.channel for p in people}),
    }
    shown = []
    for by, order in orders.items():
        got = cli("nps", "--by", by)
        wanted = expect.nps(people, by, order)
        assert (got["dimension"], got["min_responses"]) == (by, expect.MIN_RESPONSES)
        assert_same(got["all"], wanted["all"], f"{by}: all")
        assert_rows(got["groups"], wanted["groups"], "group")
        shown += got["groups"]
    return shown


def check_all(cli: Cli, engine: Engine) -> list[expect.Person]:
    stored = expect.read_store(engine)
    people = current_people(stored)
    check_channels(cli, stored, people)
    check_funnel(cli, people)
    check_cohorts(cli, people, stored.current.as_of)
    groups = check_nps(cli, people)
    assert any(g["respondents"] >= expect.MIN_RESPONSES and g["nps"] is not None for g in groups)
    assert any(0 < g["respondents"] < expect.MIN_RESPONSES and g["nps"] is None for g in groups)
    return people


# --- the demo shop --------------------------------------------------------------------------
def test_the_demo_shops_acquisition_reports_match_plain_python(
    engine: Engine, settings: Settings, tmp_path: Path, cli: Cli
) -> None:
    local = settings.model_copy(update={"timezone": ZONE, "gross_margin": MARGIN})
    customers_csv, orders_csv = write_shop_csvs(generate_shop(1500, now=SHOP_NOW), tmp_path)
    import_customers(engine, customers_csv, local)
    import_orders(engine, orders_csv, local)
    score(engine, local, as_of=SHOP_AS_OF, model="bgnbd", backfill=5)
    people = check_all(cli, engine)
    with customers_csv.open(encoding="utf-8", newline="") as file:
        written = list(csv.DictReader(file))
    later = {row["customer_id"] for row in written if row["acquired_at"] > SHOP_AS_OF.isoformat()}
    kept = {p.key for p in people}
    assert later
    assert not later & kept  # signed up after the run's day: not counted yet
    # a date-only acquired_at is local midnight: the day before in UTC, the cohort of the day
    firsts = [p for p in people if p.acquired is not None and p.acquired.day == 1]
    assert firsts


# --- CDNOW with a fixed acquisition rule ----------------------------------------------------
def _first_days(orders_csv: Path) -> dict[int, date]:
    first: dict[int, date] = {}
    with orders_csv.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            day = datetime.strptime(row["ordered_at"], "%Y%m%d").date()
            k = int(row["customer_id"])
            first[k] = min(first.get(k, day), day)
    return first


def _acquired_at(k: int, first: date | None) -> str:
    """The fixed rule's acquisition time of customer k ("" for none)."""
    if first is None:  # prospects: before the run's day, on it, just after it, later
        extra = {2390: "1997-09-30T23:30:00", 2391: "1997-09-30T22:30:00+00:00"}
        if k in extra:
            return extra[k]
        if k < 2390:
            return f"{date(1997, 4, 1) + timedelta(days=5 * (k - 2358))}T12:00:00"
        return f"{date(1997, 10, 1) + timedelta(days=9 * (k - 2392))}T08:00:00" if k < 2400 else ""
    month_end = first.replace(day=1) - timedelta(days=1)
    if k % 50 == 7:  # 23:30 local on the last day of the month before: that month
        return f"{month_end}T23:30:00"
    if k % 50 == 8:  # 23:30 UTC then: 00:30 on the first in Berlin, the next month
        return f"{month_end}T23:30:00+00:00"
    if k % 50 == 3:  # acquired after the first order, in a later month
        return f"{first + timedelta(days=40)}T09:00:00"
    if k % 10 == 1:
        return f"{first - timedelta(days=k % 7)}T10:15:00"
    return ""


def _customer_row(k: int, first: date | None) -> list[object]:
    channel = "podcast" if k % 97 == 0 else "referral" if k % 89 == 0 else (
        "search", "social", "email", "")[k % 4]  # fmt: skip
    if channel == "podcast":
        cost = "0.00"  # a channel whose CACs are all 0: no ratio
    elif channel == "referral" or k % 6 == 0:
        cost = ""
    else:
        cost = "0.00" if k % 11 == 0 else f"{5 + (k % 9) * 5}.00"
    answer = (k * 7) % 11 if k % 3 == 0 else ""
    return [k, _acquired_at(k, first), channel, cost, answer]


@pytest.mark.parametrize("pass_rows", [None, 7], ids=["one-pass", "passes-of-7-rows"])
def test_cdnows_acquisition_reports_match_plain_python(
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    pass_rows: int | None,
) -> None:
    if pass_rows is not None:  # the reports sum the month log in passes: boundaries inside
        monkeypatch.setattr(inputs, "MONTH_PASS_ROWS", pass_rows)  # a customer's months
    local = settings.model_copy(update={"timezone": ZONE, "gross_margin": MARGIN})
    orders_csv = write_cdnow_orders_csv(tmp_path / "cdnow.csv")
    # a refund cancelling its day (not a purchase day), a refund later, a purchase after as_of
    extra = [["x1", 2404, "1997-05-10", "30.00"], ["x2", 2404, "1997-05-10", "-30.00"],
             ["x3", 2404, "1997-06-02", "20.00"], ["x4", 2405, "1997-04-03", "40.00"],
             ["x5", 2405, "1997-04-20", "-15.00"], ["x6", 2406, "1997-12-01", "25.00"],
             ["x7", 2407, "1997-03-05", "30.00"], ["x8", 2407, "1997-04-10", "12.00"]]  # fmt: skip
    extra_csv = write_csv(tmp_path / "extra.csv", ["order_id", "customer_id", "ordered_at",
                                                   "amount"], extra)  # fmt: skip
    first = _first_days(orders_csv) | {2404: date(1997, 5, 10), 2405: date(1997, 4, 3)}
    rows = [_customer_row(k, first.get(k)) for k in range(1, 2407)]
    # a buyer whose acquired_at is after the run's day: acquired by the first purchase then
    rows.append([2407, "1997-11-15T10:00:00", "search", "10.00", ""])
    header = ["customer_id", "acquired_at", "channel", "acquisition_cost", "nps"]
    import_orders(engine, orders_csv, local)
    import_orders(engine, extra_csv, local)
    import_customers(engine, write_csv(tmp_path / "customers.csv", header, rows), local)
    score(engine, local, as_of=CDNOW_AS_OF, model="bgnbd", backfill=5)
    people = check_all(cli, engine)
    kept = {int(p.key): p for p in people}
    assert set(range(1, 2408)) - set(kept) == set(range(2391, 2400))  # acquired after the day
    assert kept[2407].acquired is None
    assert kept[2407].start == date(1997, 3, 5)
    assert kept[2390].acquired == CDNOW_AS_OF  # 23:30 on the day, local time: counted
    assert {p.channel for p in people} >= {"podcast", "referral", expect.NO_CHANNEL}
    # no acquisition date and no order by the day (2406 bought only after it): unplaced
    assert {k for k, p in kept.items() if p.start is None} == {2400, 2401, 2402, 2403, 2406}
    assert kept[2404].first == date(1997, 6, 2)  # 1997-05-10 was refunded in full
    near = [p for k, p in kept.items() if k % 50 == 8]
    assert near
    assert all(p.acquired and p.acquired.day == 1 for p in near)  # 00:30 in Berlin
