"""A `clvbot score` on PostgreSQL killed with SIGKILL at each phase of its run (held there by a
lock the test holds) and at seeded-random moments over the measured length of a run: readers
still see the previous run, unchanged; the server keeps no lock or table of the dead process;
the next `clvbot score` marks the killed run interrupted and stores exactly the run that an
uninterrupted scoring of the same day stored. Run with -s for the table of kills."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from clv.settings import Settings
from tests.scoring.kills import Seen
from tests.scoring.rounds import DAYS, Kill, KilledShop
from tests.scoring.stalls import STALLS, Stall
from tests.scoring.stores import import_order_rows, shop_rows

postgres_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

CUSTOMERS = 3000  # ~12,000 orders: a run takes ~0.5 s from its first session to its commit
# a run writes its scores into a partition of its own, indexes it and attaches it
# (clv.scoring.partitions): at 60,000 customers a run is long enough to be caught at random
BIG_SHOP = 60_000
SQLITE_SHOP = 20_000  # SQLite writes 3,000 customers in a few ms: too short a write to hit
SEED = 18
Shop = Callable[[int], KilledShop]


@pytest.fixture
def scored_shop(
    engine: Engine, database_url: str, settings: Settings, tmp_path: Path
) -> Iterator[Shop]:
    """A store of `customers` buyers scored uninterrupted as of both days (the references;
    the second is the current run when the kills begin)."""
    made: list[KilledShop] = []

    def make(customers: int) -> KilledShop:
        rows = shop_rows(customers, start=date(2023, 1, 1), days=540)
        import_order_rows(engine, settings, tmp_path, rows)
        shop = KilledShop(engine, database_url, tmp_path)
        made.append(shop)
        for day in DAYS:
            shop.score_reference(day)
        return shop

    yield make
    for shop in made:
        shop.close()


def stalls(*names: str) -> list[Stall]:
    found = [stall for stall in STALLS if stall.name in names]
    assert len(found) == len(names), names
    return found


def random_moments(shop: KilledShop, count: int) -> list[float]:
    """Kill times drawn uniformly (fixed seed) over the length of an uninterrupted run, from
    its first session to its commit as measured for the references (the shorter: the other
    may have shared the machine with more); in order."""
    length = min(reference.seconds for reference in shop.references.values())
    return sorted(np.random.default_rng(SEED).uniform(0.0, length, count).tolist())


def kill_and_check(
    shop: KilledShop,
    *,
    held: Sequence[Stall] = (),
    seen: Sequence[Callable[[Seen], bool]] = (),
    moments: int = 0,
) -> list[Kill]:
    """Kill a run at each stall, then as soon as it is seen in each state, then at each
    random moment; print the table; fail with it if any kill left a problem."""
    kills = [shop.kill_held(stall) for stall in held]
    kills += [shop.kill_when(reached) for reached in seen]
    kills += [shop.kill_after(moment) for moment in random_moments(shop, moments)]
    report = table(kills, shop)
    print("\n" + report)
    assert not [kill for kill in kills if kill.problems], report
    # killed before COMMIT the run is rolled back; inside COMMIT, the server commits it
    expected = [stall.may_commit for stall in held] + [False] * len(seen)
    assert [kill.committed for kill in kills[: len(expected)]] == expected, report
    return kills


def table(kills: list[Kill], shop: KilledShop) -> str:
    seconds = ", ".join(f"{r.seconds:.2f} s" for r in shop.references.values())
    lines = [
        f"uninterrupted runs, from reaching the store to commit: {seconds}",
        f"{'#':>2}  {'kill at':<24} {'phase observed':<84} {'outcome':<11} "
        "lock gone  previous run readable  next run correct",
    ]
    for number, kill in enumerate(kills, 1):
        outcome = "committed" if kill.committed else "rolled back"
        readable = ("n/a, new run whole: " if kill.committed else "") + _yes(kill.previous_readable)
        lines.append(
            f"{number:>2}  {kill.when:<24} {kill.phase:<84} {outcome:<11} "
            f"{kill.gone * 1000:>6.0f} ms  {readable:<22} {_yes(kill.next_correct)}"
        )
        lines += [f"      ! {problem}" for problem in kill.problems]
    return "\n".join(lines)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


@postgres_only
@pytest.mark.faults
def test_a_run_killed_before_its_transaction_in_its_writes_or_at_its_last_write_changes_nothing(
    scored_shop: Shop,
) -> None:
    held = stalls("reading the orders", "half-way through the scores", "at the last write")
    kill_and_check(scored_shop(CUSTOMERS), held=held, moments=1)


@postgres_only
@pytest.mark.faults
@pytest.mark.slow
def test_a_run_killed_at_every_phase_and_at_random_moments_changes_nothing(
    scored_shop: Shop,
) -> None:
    kill_and_check(scored_shop(CUSTOMERS), held=STALLS, moments=6)


@postgres_only
@pytest.mark.faults
@pytest.mark.slow
def test_a_big_run_killed_while_it_rebuilds_the_score_indexes_keeps_them(
    scored_shop: Shop,
) -> None:
    held = stalls("in the transaction, before the scores", "at the last write")
    kills = kill_and_check(scored_shop(BIG_SHOP), held=held, moments=4)
    # the run's scores written and indexed in its own partition, which it is attaching
    assert kills[0].phase.startswith("in the transaction: ALTER"), kills[0].phase


def before_its_transaction(seen: Seen) -> bool:
    return seen.status == "running" and not seen.wal_written


def writing_in_its_transaction(seen: Seen) -> bool:
    return seen.status == "running" and seen.wal_written


@sqlite_only
@pytest.mark.faults
@pytest.mark.slow
def test_a_run_on_sqlite_killed_before_or_in_its_transaction_or_at_random_changes_nothing(
    scored_shop: Shop,
) -> None:
    # no stalls: SQLite has one writer and no row locks, and a run waits 5 s at most for the
    # write lock (pysqlite's timeout) before it fails; the phases are caught by polling
    seen = [before_its_transaction, writing_in_its_transaction]
    kill_and_check(scored_shop(SQLITE_SHOP), seen=seen, moments=4)
