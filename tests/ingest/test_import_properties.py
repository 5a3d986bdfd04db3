"""Property-based tests: random and malformed rows never crash the importer or half-commit it."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clv.ingest import ImportFileError, StrictImportError, import_orders
from clv.settings import Settings
from clv.store import make_engine, upgrade
from tests.helpers import ORDER_HEADER, count_rows

GOOD_DATES = st.sampled_from(["2024-01-05", "20240105", "2024-01-05T10:00:00Z", "2023-12-31 23:59"])
GOOD_AMOUNTS = st.sampled_from(["10.00", "0", "-3.5", "7", "1234.56"])
ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)  # commas, quotes, NUL
IDS = st.sampled_from(["o1", "o2", "o3", "o4", "", " ", "x" * 129])


def _field(good: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(good, good, good, ANY_TEXT)


ROW = st.lists(
    st.one_of(
        st.tuples(
            IDS, _field(st.sampled_from(["c1", "c2"])), _field(GOOD_DATES), _field(GOOD_AMOUNTS)
        ).map(list),
        st.lists(ANY_TEXT, min_size=0, max_size=6),  # wrong shape
    ),
    max_size=25,
)


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _fresh_store(template: Path, workdir: Path) -> tuple[Settings, Path]:
    for leftover in workdir.glob("*"):
        leftover.unlink()
    db = workdir / "store.db"
    shutil.copy(template, db)
    url = f"sqlite:///{db}"
    return Settings(database_url=url, _env_file=None), workdir / "orders.csv"  # type: ignore[call-arg]


def _write(path: Path, rows: list[list[str]], raw_tail: str) -> int:
    """Write rows (quoted properly) plus raw text; returns the number of records csv reads."""
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(ORDER_HEADER)
        writer.writerows(rows)
        file.write(raw_tail)
    with path.open(encoding="utf-8", newline="") as file:
        try:
            return sum(1 for record in csv.reader(file) if record) - 1
        except csv.Error:
            return -1


COMMON = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@COMMON
@given(rows=ROW, raw_tail=st.one_of(st.just(""), ANY_TEXT), batch=st.integers(1, 7))
def test_every_row_is_accounted_for(
    template_db: Path, tmp_path: Path, rows: list[list[str]], raw_tail: str, batch: int
) -> None:
    settings_, path = _fresh_store(template_db, tmp_path)
    records = _write(path, rows, raw_tail)
    engine = make_engine(settings_.database_url)
    try:
        report = import_orders(engine, path, settings_, batch_size=batch)
    except ImportFileError:
        assert records == -1  # only a file csv cannot read fails as a whole
        assert count_rows(engine) == (0, 0)
        return
    finally:
        engine.dispose()
    assert report.read == records
    assert report.read == report.imported + report.updated + report.unchanged + report.rejected
    engine = make_engine(settings_.database_url)
    assert count_rows(engine)[1] == report.imported
    engine.dispose()
    if report.rejected:
        with path.with_name("orders.rejects.csv").open(encoding="utf-8", newline="") as file:
            assert sum(1 for _ in csv.DictReader(file)) == report.rejected


@COMMON
@given(rows=ROW, batch=st.integers(1, 7))
def test_strict_never_half_commits(
    template_db: Path, tmp_path: Path, rows: list[list[str]], batch: int
) -> None:
    settings_, path = _fresh_store(template_db, tmp_path)
    _write(path, rows, "")
    engine = make_engine(settings_.database_url)
    try:
        report = import_orders(engine, path, settings_, strict=True, batch_size=batch)
    except (StrictImportError, ImportFileError):
        assert count_rows(engine) == (0, 0)
    else:
        assert report.rejected == 0
        assert count_rows(engine)[1] == report.imported
    finally:
        engine.dispose()
