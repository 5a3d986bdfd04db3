"""SQLite: a full run's scores go column-wise (ADBC) into a stage file attached to the run's
transaction (clv.scoring.stage). The rows stored are those the sqlite3 module would have
stored value by value; a failed or killed run leaves the previous scores and no stage."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session

from clv.insights import current_run
from clv.scoring.copy_binary import Column
from clv.scoring.pipeline import ScoringError, score
from clv.scoring.stage import write_stage
from clv.settings import Settings
from clv.store.engine import sqlite_file
from clv.store.tables import customer_scores_table
from tests.scoring.stores import import_order_rows, shop_rows

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _columns() -> dict[str, Column]:
    """One column of every kind the scores have, NULLs included."""
    nan = np.nan
    return {
        "small": Column("int2", np.array([1, 2, 3, 4]), np.array([False, True, False, False])),
        "whole": Column("int4", np.array([7, -1, 0, 2**31 - 1])),
        "big": Column("int8", np.array([2**40, 0, -5, 1])),
        "real": Column("float8", np.array([0.5, nan, -1e300, 3.0])),
        "masked": Column("float8", np.array([1.0, 2.0, 3.0, 4.0]), np.array([0, 0, 1, 0], bool)),
        "flag": Column("bool", np.array([True, False, True, False])),
        "day": Column("date", np.array([0, 19_723, -1, 20_089]), np.array([0, 0, 1, 0], bool)),
        "label": Column("text", np.array([0, 1, -1, 1]), labels=("Champions", "At Risk")),
    }


def _bound(column: Column, row: int) -> Any:
    """The Python value the sqlite3 module would be given for `row`: SQLAlchemy's own formats
    (dates as ISO text), None where the column is NULL."""
    if column.null is not None and column.null[row]:
        return None
    value = column.values[row]
    if column.kind == "text":
        return None if value < 0 else column.labels[value]
    if column.kind == "date":
        return (date(1970, 1, 1) + timedelta(days=int(value))).isoformat()
    if column.kind == "bool":
        return bool(value)
    return float(value) if column.kind == "float8" else int(value)


def test_a_stage_holds_the_values_the_sqlite3_module_binds_one_by_one(tmp_path: Path) -> None:
    columns = _columns()
    stage = [tmp_path / "stage0.db", tmp_path / "stage1.db"]  # two parts: rows 0-1 and 2-3
    write_stage(stage, columns)
    reference = sqlite3.connect(tmp_path / "reference.db")
    names = ", ".join(columns)
    reference.execute(f"CREATE TABLE customer_scores ({names})")
    marks = ", ".join("?" * len(columns))
    rows = [tuple(_bound(column, row) for column in columns.values()) for row in range(4)]
    reference.executemany(f"INSERT INTO customer_scores VALUES ({marks})", rows)
    typed = ", ".join(f"{name}, typeof({name})" for name in columns)
    staged = []
    for part, path in enumerate(stage):
        reference.execute(f"ATTACH DATABASE ? AS stage{part}", (str(path),))
        staged += reference.execute(f"SELECT {typed} FROM stage{part}.customer_scores").fetchall()
    bound = reference.execute(f"SELECT {typed} FROM main.customer_scores").fetchall()
    assert staged == bound
    first, second, third, _ = staged
    assert first[10:14] == (1, "integer", "1970-01-01", "text")  # a bool, a date
    assert second[0:2] == (None, "null")  # masked
    assert second[6:8] == (None, "null")  # NaN
    assert third[12:16] == (None, "null", None, "null")  # a NULL date, a NULL label
    assert second[14:16] == ("At Risk", "text")


def _shop(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    rows = shop_rows(60, start=date(2023, 1, 1), days=700)
    import_order_rows(engine, settings, tmp_path, rows)


def _stages(engine: Engine) -> list[str]:
    store = sqlite_file(engine.url)
    assert store is not None
    return sorted(path.name for path in store.parent.glob(f"{store.name}-stage-*"))


@sqlite_only
def test_a_run_deletes_its_stage_and_one_a_killed_run_left(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    _shop(engine, settings, tmp_path)
    store = sqlite_file(engine.url)
    assert store is not None
    left = store.with_name(f"{store.name}-stage-r41-1")
    left.write_bytes(b"half a database file")
    (result,) = score(engine, settings, as_of=date(2024, 12, 1))
    assert _stages(engine) == []
    with engine.connect() as connection:
        stored = connection.execute(
            select(func.count()).where(customer_scores_table.c.run_id == result.run_id)
        ).scalar_one()
    assert stored == 60


@sqlite_only
def test_a_run_failing_as_it_copies_its_stage_leaves_the_previous_scores_and_no_stage(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    _shop(engine, settings, tmp_path)
    (first,) = score(engine, settings, as_of=date(2024, 11, 1))
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON customer_scores "
                f"WHEN NEW.run_id > {first.run_id} BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        )
    with pytest.raises(ScoringError, match="disk full"):
        score(engine, settings, as_of=date(2024, 12, 1))
    assert _stages(engine) == []
    with Session(engine) as session:
        assert current_run(session).id == first.run_id
    with engine.connect() as connection:
        runs = connection.execute(select(customer_scores_table.c.run_id).distinct()).scalars()
        assert list(runs) == [first.run_id]
