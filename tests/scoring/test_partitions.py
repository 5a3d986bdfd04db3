"""PostgreSQL: each full run's scores are a partition of customer_scores; the previous run's stays
for readers still on their way to it, older ones go once no reader holds the table."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from clv.insights import current_run
from clv.scoring.partitions import partition_runs
from clv.scoring.pipeline import score
from clv.settings import Settings
from clv.store.engine import read_snapshot
from clv.store.tables import customer_scores_table as scores
from tests.scoring.stores import import_order_rows, shop_rows

postgres_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
DAYS = (date(2024, 9, 29), date(2024, 10, 6), date(2024, 10, 13), date(2024, 10, 20))


def _partitions(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return partition_runs(connection)


def _clv_of(session: Session, run_id: int) -> list[float]:
    query = select(scores.c.predicted_clv).where(scores.c.run_id == run_id)
    return sorted(session.execute(query.order_by(scores.c.customer_id)).scalars())


@postgres_only
def test_each_full_run_attaches_its_partition_and_only_the_two_newest_stay(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    import_order_rows(engine, settings, tmp_path, shop_rows(80, start=date(2024, 1, 1), days=290))
    runs = [score(engine, settings, as_of=day, model="bgnbd")[0].run_id for day in DAYS[:3]]
    assert _partitions(engine) == runs[1:]
    with Session(engine) as session:
        assert current_run(session).id == runs[-1]
        assert len(_clv_of(session, runs[-1])) == 80
        assert _clv_of(session, runs[0]) == []  # its partition is gone


@postgres_only
def test_a_reader_in_the_previous_runs_snapshot_keeps_its_rows_and_holds_off_the_drop(
    engine: Engine, settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import_order_rows(engine, settings, tmp_path, shop_rows(80, start=date(2024, 1, 1), days=290))
    first, second = (score(engine, settings, as_of=day, model="bgnbd")[0].run_id
                     for day in DAYS[:2])  # fmt: skip
    with read_snapshot(engine) as reader:
        assert current_run(reader).id == second
        before = _clv_of(reader, second)
        # the reader's snapshot is open (and holds customer_scores) while two more runs commit
        with caplog.at_level(logging.WARNING, logger="clvbot.scoring"):
            third = score(engine, settings, as_of=DAYS[2], model="bgnbd")[0].run_id
            fourth = score(engine, settings, as_of=DAYS[3], model="bgnbd")[0].run_id
        assert current_run(reader).id == second  # its snapshot
        assert _clv_of(reader, second) == before
    # the older partitions could not be dropped while the reader was there: said, and left
    assert any("could not drop customer_scores_r" in r.getMessage() for r in caplog.records)
    assert _partitions(engine) == [first, second, third, fourth]
    fifth = score(engine, settings, as_of=DAYS[3], model="bgnbd")[0].run_id
    assert _partitions(engine) == [fourth, fifth]  # the next run drops them
