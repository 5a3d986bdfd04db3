"""The import loop shared by orders and customers: stream, parse, merge in batches, one transaction.

Either every good row of the file is committed, or (an error, `--strict` and a bad row,
Ctrl-C) nothing is: the whole import runs in one database transaction.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import queue
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack
from pathlib import Path
from time import perf_counter
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Connection, Engine, Table

from clv.ingest.bulk import BYTES_PER_ROW_ESTIMATE, bulk_load, hold_import_lock
from clv.ingest.formats.base import original_fields
from clv.ingest.parsing import FieldError
from clv.ingest.report import ImportReport, Reject, RejectsWriter, StrictImportError
from clv.ingest.source import CsvSource
from clv.store.driver import deferred_indexes, hold_write_lock
from clv.worker_processes import end_with_parent

RowT = TypeVar("RowT")
ProgressCallback = Callable[[int], None]
Lines = list[tuple[int, list[str]]]  # (line number, fields) of a batch of records
Batch = list[tuple[int, list[str], RowT]]  # (line, fields, parsed row)
BatchHandler = Callable[[Lines, Any, "ImportRun"], None]  # (records, pre-parsed, run)
PreParser = Callable[[Lines], Any]  # pure work on a batch (may run in a reader process)


class Merge(NamedTuple):
    """What `prepare` returns: how an import's batches are parsed and merged."""

    pre_parse: PreParser | None  # pure work on a batch (may run in a reader process)
    handle: BatchHandler  # parses the rest of a batch and merges it


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
        reject = Reject(line, column, reason, original_fields(fields))
        if self.strict:
            raise StrictImportError(self.source.path, reject)
        self.rejects.add(reject)


def default_rejects_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.rejects.csv")


def run_import(
    engine: Engine,
    source: CsvSource,
    *,
    prepare: Callable[[Connection, ExitStack], Merge],
    defer_indexes_of: Table | None = None,
    reader_process: bool | None = None,
    strict: bool,
    mapping: dict[str, str],
    rejects_path: Path | None,
    progress: ProgressCallback | None,
    batch_size: int,
) -> ImportReport:
    """Run one import.

    `prepare` gets the transaction's connection and the stack of contexts the import runs in
    (one it enters there is left when the last batch is merged, before the commit, or when the
    import fails) and returns the `Merge`: an optional pre-parser (a picklable callable that
    must not touch the database or the run: for large files it runs in a reader process, see
    `read_ahead`) and the handler that parses the rest and merges each batch (see
    `parse_rows`).
    `defer_indexes_of`: a table whose secondary indexes a large load rebuilds at the end.
    `reader_process`: parse in a reader process (None: for files of 8 MB or more).
    """
    report = ImportReport(source.path)
    rejects = RejectsWriter(
        rejects_path or default_rejects_path(source.path), source.header, report
    )
    run = ImportRun(source, report, rejects, strict=strict, mapping=mapping)
    started = perf_counter()
    collecting = gc.isenabled()
    gc.disable()  # millions of short-lived tuples: the cyclic collector only slows this down
    try:
        _merge_in_one_transaction(
            engine,
            run,
            prepare=prepare,
            defer_indexes_of=defer_indexes_of,
            reader_process=reader_process,
            progress=progress,
            batch_size=batch_size,
        )
    except BaseException:
        rejects.discard()
        raise
    finally:
        if collecting:
            gc.enable()
        source.close()
    rejects.close()
    report.seconds = perf_counter() - started
    return report


def _merge_in_one_transaction(
    engine: Engine,
    run: ImportRun,
    *,
    prepare: Callable[[Connection, ExitStack], Merge],
    defer_indexes_of: Table | None,
    reader_process: bool | None,
    progress: ProgressCallback | None,
    batch_size: int,
) -> None:
    """Read `run.source` and merge its batches in one transaction, committed at the end.

    The transaction holds the write and import locks; the contexts `prepare` enters (and the
    deferred indexes) are left after the last batch, before the commit.
    """
    source, report = run.source, run.report
    with ExitStack() as stack:
        connection = stack.enter_context(engine.connect())
        stack.enter_context(bulk_load(connection))
        stack.enter_context(connection.begin())
        hold_write_lock(connection)
        hold_import_lock(connection)
        if defer_indexes_of is not None:
            expected = source.size // BYTES_PER_ROW_ESTIMATE
            stack.enter_context(
                deferred_indexes(connection, defer_indexes_of, expected_rows=expected)
            )
        merge = prepare(connection, stack)
        batches = read_ahead(source, batch_size, merge.pre_parse, reader_process=reader_process)
        for lines, parsed, bytes_read in batches:
            merge.handle(lines, parsed, run)
            report.count_read(lines)
            if progress is not None:
                progress(bytes_read)


def parse_rows(
    lines: Lines, run: ImportRun, parse_row: Callable[[list[str]], RowT], width: int
) -> Batch[RowT]:
    """Parse records one by one; each bad one is rejected with its line, column and reason."""
    batch: Batch[RowT] = []
    for line, fields in lines:
        problem: tuple[str, str] | None = getattr(fields, "problem", None)
        if problem is not None:
            run.reject(line, problem[0], problem[1], fields)
        elif len(fields) != width:
            run.reject(
                line,
                "(row)",
                f"expected {width} fields as in the header, found {len(fields)}",
                fields,
            )
        elif "\0" in "".join(fields):
            run.reject(line, "(row)", "contains a NUL character", fields)
        else:
            try:
                batch.append((line, fields, parse_row(fields)))
            except FieldError as exc:
                run.reject(line, exc.column, exc.reason, fields)
    return batch


_READER_MIN_BYTES = 8_000_000  # smaller files are parsed in-process: a process costs ~0.3 s


def read_ahead(
    source: CsvSource,
    batch_size: int,
    pre_parse: PreParser | None,
    *,
    reader_process: bool | None = None,
) -> Iterator[tuple[Lines, Any, int]]:
    """(batch, pre_parse(batch), bytes read) for each batch of `source`.

    For a large file with a pre-parser, a reader process reads and pre-parses the file (on
    the second core) while this process merges into the database. An export format's file is
    only read there: this process reshapes and pre-parses it (the reshaping costs more than
    the merge of its orders, so the two cores share the work about evenly).
    """
    if reader_process is None:
        reader_process = source.size >= _READER_MIN_BYTES
    if pre_parse is None or not reader_process:
        for lines in source.batches(batch_size):
            yield lines, pre_parse(lines) if pre_parse else None, source.bytes_read
        return
    if source.reshape is None:
        yield from _from_reader(source, batch_size, pre_parse)
        return
    progress = 0
    reader = _from_reader(source, batch_size, None)

    def records() -> Iterator[Lines]:
        nonlocal progress
        for lines, _, read in reader:
            progress = read
            yield lines

    try:
        for lines in source.reshape(records()):
            yield lines, pre_parse(lines), progress
    finally:
        reader.close()  # the reader process ends here, however the import ends


def _from_reader(
    source: CsvSource, batch_size: int, pre_parse: PreParser | None
) -> Generator[tuple[Lines, Any, int], None, None]:
    """The batches of `source` (not reshaped) read, and pre-parsed, by a reader process."""
    # fork: the reader needs nothing but the file, and a library must not re-run `__main__`
    context = multiprocessing.get_context("fork")
    source.release()  # a database connection must not be shared with the reader
    handoff: Any = context.Queue(maxsize=4)
    reader = context.Process(
        target=_read_and_parse,
        args=(source, batch_size, pre_parse, handoff, os.getpid()),
        name="csv-reader",
        daemon=True,
    )
    reader.start()
    try:
        while (item := handoff.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            lines, parsed, read = item
            yield (parsed.lines if lines is None else lines), parsed, read
    finally:
        if reader.is_alive():
            reader.terminate()
        reader.join()
        handoff.close()


def _read_and_parse(
    opened: CsvSource,
    batch_size: int,
    pre_parse: PreParser | None,
    handoff: Any,
    parent: int,
) -> None:
    """The reader process: batches and their pre-parse, then None; or the error.

    It ends when the importing process `parent` does, even by `kill -9`: otherwise it would
    wait forever on the full queue, holding its memory and the files.
    """
    end_with_parent(parent)  # clv.worker_processes
    try:
        source = opened.reopen()
        source.reshape = None  # the records as they are: the importing process reshapes them
        for lines in source.batches(batch_size):
            parsed = pre_parse(lines) if pre_parse is not None else None
            # a pre-parsed batch that carries its records (`parsed.lines`) sends them once
            carried = getattr(parsed, "lines", None) is lines
            _hand_over(handoff, (None if carried else lines, parsed, source.bytes_read), parent)
        source.close()
        _hand_over(handoff, None, parent)
    except BaseException as exc:  # handed to the importing process, raised there
        _hand_over(handoff, exc, parent)


_PARENT_CHECK_SECONDS = 1.0


def _hand_over(handoff: Any, item: Any, parent: int) -> None:
    """Put `item` on the queue, checking while it is full that the parent still lives."""
    while True:
        try:
            handoff.put(item, timeout=_PARENT_CHECK_SECONDS)
            return
        except queue.Full:
            if os.getppid() != parent:  # re-parented: the importing process is gone
                # at once, without clean-up: the queue's feeder thread would wait on the pipe
                os._exit(1)
