"""Text encodings of imported files (issue 13): UTF-8 with or without a byte-order mark by
default, `encoding=` (the CLI's --encoding) for older exports, and an undecodable byte named
by its line and byte offset."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from clv.ingest import ImportFileError, import_orders
from clv.settings import Settings
from clv.store.tables import customers_table
from tests.helpers import count_rows

HEADER = "order_id,customer_id,ordered_at,amount,name\r\n"
ROWS = ["o1,c1,2024-01-05,12.50,Zoë Müller\r\n", "o2,c2,2024-01-06,3.00,François Œuvre\r\n"]


def _names(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        query = select(customers_table.c.name).order_by(customers_table.c.external_id)
        return [str(name) for name in connection.execute(query).scalars()]


@pytest.mark.parametrize("reader_process", [False, True])
def test_a_cp1252_export_imports_with_its_encoding_named(
    engine: Engine, settings: Settings, tmp_path: Path, reader_process: bool
) -> None:
    path = tmp_path / "old.csv"
    path.write_bytes((HEADER + "".join(ROWS)).encode("cp1252"))
    report = import_orders(engine, path, settings, encoding="cp1252", reader_process=reader_process)
    assert (report.imported, report.rejected) == (2, 0)
    assert _names(engine) == ["Zoë Müller", "François Œuvre"]


def test_utf8_with_a_byte_order_mark_is_read_without_it(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "".join(ROWS)).encode("utf-8"))
    assert import_orders(engine, path, settings).imported == 2
    assert _names(engine) == ["Zoë Müller", "François Œuvre"]


# the byte is found where the file is decoded (this process, or the reader process) and the
# import's transaction is rolled back on each store: SQLite in both modes, PostgreSQL with the
# reader process (the error crosses the process boundary); PostgreSQL in-process would repeat
# the SQLite case's decoding and the other case's rollback
@pytest.mark.parametrize(
    ("database_url", "reader_process"),
    [("sqlite", False), ("sqlite", True), ("postgresql", True)],
    indirect=["database_url"],
)
def test_an_undecodable_byte_is_named_by_line_and_offset_and_nothing_is_imported(
    engine: Engine, settings: Settings, tmp_path: Path, reader_process: bool
) -> None:
    good = [f"o{i},c{i},2024-01-05,1.00,Ann\r\n".encode() for i in range(30_000)]
    bad = b"o-bad,c-bad,2024-01-05,1.00,Ren\xe9e\r\n"  # latin-1's é in a UTF-8 file
    data = HEADER.encode() + b"".join(good) + bad
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    offset = data.index(b"\xe9")  # counted here, not by the importer
    line = 1 + len(good) + 1
    with pytest.raises(ImportFileError) as failure:
        import_orders(engine, path, settings, reader_process=reader_process)
    assert f"mixed.csv:{line}: byte {offset} (0xe9, counting from 0) is not UTF-8" in str(
        failure.value
    )
    assert "--encoding" in str(failure.value)
    assert count_rows(engine) == (0, 0)


def test_an_unknown_encoding_is_a_clear_error(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "o.csv"
    path.write_text(HEADER + ROWS[0], encoding="utf-8")
    with pytest.raises(ImportFileError, match="--encoding: unknown encoding 'klingon'"):
        import_orders(engine, path, settings, encoding="klingon")
