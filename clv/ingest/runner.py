"""The import loop shared by orders and customers: stream, parse, merge in batches, one transaction.

Either every good row of the file is committed, or (an error, `--strict` and a bad row,
Ctrl-C) nothing is: the whole import runs in one database transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from time import perf_counter
from typing import Generic, TypeVar

from sqlalchemy import Connection, Engine

from clv.ingest.parsing import FieldError
from clv.ingest.report import ImportReport, Reject, RejectsWriter, StrictImportError
from clv.ingest.source import CsvSource

RowT = TypeVar("RowT")
ProgressCallback = Callable[[int], None]


@dataclass(frozen=True)
class Parsed(Generic[RowT]):
    line: int
    fields: list[str]
    row: RowT


class ImportRun:
    """The state of one import: counts, rejects, strictness."""

    def __init__(
        self,
        source: CsvSource,
        report: ImportReport,
        rejects: RejectsWriter,
        *,
        strict: bool,
        mapping: dict[str, str],
    ) -> None:
        self.source = source
        self.report = report
        self.rejects = rejects
        self.strict = strict
        self.mapping = mapping

    def reject(self, line: int, column: str, reason: str, fields: list[str]) -> None:
        if column in self.mapping:
            column = f"{column} ({self.mapping[column]})"
        reject = Reject(line, column, reason, fields)
        if self.strict:
            raise StrictImportError(self.source.path, reject)
        self.rejects.add(reject)


def default_rejects_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.rejects.csv")


def run_import(
    engine: Engine,
    source: CsvSource,
    *,
    parse_row: Callable[[list[str]], RowT],
    merge_batch: Callable[[Connection, list[Parsed[RowT]], ImportRun], None],
    strict: bool,
    mapping: dict[str, str],
    rejects_path: Path | None,
    progress: ProgressCallback | None,
    batch_size: int,
) -> ImportReport:
    report = ImportReport(source.path)
    rejects = RejectsWriter(
        rejects_path or default_rejects_path(source.path), source.header, report
    )
    run = ImportRun(source, report, rejects, strict=strict, mapping=mapping)
    width = len(source.header)
    started = perf_counter()
    try:
        with engine.begin() as connection:
            for batch in _batches(source.rows(), batch_size):
                parsed: list[Parsed[RowT]] = []
                for line, fields in batch:
                    report.read += 1
                    if len(fields) != width:
                        run.reject(
                            line,
                            "(row)",
                            f"expected {width} fields as in the header, found {len(fields)}",
                            fields,
                        )
                        continue
                    if "\0" in "".join(fields):
                        run.reject(line, "(row)", "contains a NUL character", fields)
                        continue
                    try:
                        parsed.append(Parsed(line, fields, parse_row(fields)))
                    except FieldError as exc:
                        run.reject(line, exc.column, exc.reason, fields)
                merge_batch(connection, parsed, run)
                if progress is not None:
                    progress(source.chars_read)
    except BaseException:
        rejects.discard()
        raise
    finally:
        source.close()
    rejects.close()
    report.seconds = perf_counter() - started
    return report


def _batches(
    rows: Iterator[tuple[int, list[str]]], size: int
) -> Iterator[list[tuple[int, list[str]]]]:
    while batch := list(islice(rows, size)):
        yield batch
