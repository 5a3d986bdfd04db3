"""PostgreSQL's binary COPY written and read with numpy: what goes in comes back, NULLs and all."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine

from clv.scoring.copy_binary import Column, decode_int8, encode

DDL = (
    "CREATE TEMPORARY TABLE copied (i2 smallint, i4 integer, i8 bigint, f8 double precision, "
    "b boolean, d date, t varchar(40), k varchar(12))"
)
LABELS = ("Champions", "At Risk", "", "Can't Lose Them", "naïve ✓")


def _raw(engine: Engine) -> Any:
    if engine.dialect.name != "postgresql":
        pytest.skip("binary COPY is PostgreSQL's")
    return engine.raw_connection()


def test_rows_of_every_shape_come_back_as_they_were_written(engine: Engine) -> None:
    rng = np.random.default_rng(3)
    n = 5_000
    i8 = rng.integers(-(2**62), 2**62, n)
    f8 = rng.standard_normal(n) * 1e6
    days = rng.integers(-719_000, 2_900_000, n)  # the year 1 to the 9900s
    codes = rng.integers(-1, len(LABELS), n)  # -1: NULL
    null = {name: rng.random(n) < 0.3 for name in ("i4", "f8", "b", "d")}
    keys = np.char.add("k", np.char.zfill(np.arange(n).astype(str), 8)).astype("S9")
    columns = [
        Column("int2", rng.integers(-32768, 32767, n)),
        Column("int4", rng.integers(-(2**31), 2**31 - 1, n), null["i4"]),
        Column("int8", i8),
        Column("float8", f8, null["f8"]),
        Column("bool", rng.random(n) < 0.5, null["b"]),
        Column("date", days, null["d"]),
        Column("text", codes, labels=LABELS),
        Column("text", keys),
    ]
    raw = _raw(engine)
    try:
        cursor = raw.cursor()
        cursor.execute(DDL)
        with cursor.copy("COPY copied FROM STDIN (FORMAT binary)") as copy:
            for piece in encode(columns):
                copy.write(piece)
        cursor.execute("SELECT i2, i4, i8, f8, b, d, t, k FROM copied ORDER BY k")
        rows = cursor.fetchall()
    finally:
        raw.close()
    assert len(rows) == n
    epoch = date(1970, 1, 1)
    for i, row in enumerate(rows):
        expected = [
            int(columns[0].values[i]),
            None if null["i4"][i] else int(columns[1].values[i]),
            int(i8[i]),
            None if null["f8"][i] else float(f8[i]),
            None if null["b"][i] else bool(columns[4].values[i]),
            None if null["d"][i] else epoch + timedelta(days=int(days[i])),
            None if codes[i] < 0 else LABELS[codes[i]],
            keys[i].decode(),
        ]
        assert list(row) == expected, i


def test_no_rows_is_an_empty_copy(engine: Engine) -> None:
    raw = _raw(engine)
    try:
        cursor = raw.cursor()
        cursor.execute(DDL)
        with cursor.copy("COPY copied (i8) FROM STDIN (FORMAT binary)") as copy:
            for piece in encode([Column("int8", np.zeros(0, dtype=np.int64))]):
                copy.write(piece)
        cursor.execute("SELECT count(*) FROM copied")
        assert cursor.fetchone() == (0,)
    finally:
        raw.close()


def test_int8_rows_read_back_as_a_matrix(engine: Engine) -> None:
    raw = _raw(engine)
    try:
        cursor = raw.cursor()
        query = "SELECT g::bigint, (g * 3 - 2 ^ 40)::bigint FROM generate_series(1, 100000) g"
        data = bytearray()
        with cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT binary)") as copy:
            for chunk in copy:
                data += chunk
    finally:
        raw.close()
    matrix = decode_int8(memoryview(data)[19:-2], 2)
    g = np.arange(1, 100_001)
    assert matrix.shape == (100_000, 2)
    assert (matrix[:, 0] == g).all()
    assert (matrix[:, 1] == g * 3 - 2**40).all()
