"""Rounds of killing a `clvbot score` on a scored PostgreSQL store: kill a run (held at a phase,
or at a moment), check what it left, run the next one and compare it with an uninterrupted
scoring of the same day."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text

from clv.store.engine import sqlite_file
from tests.scoring.kills import (
    POLL_SECONDS,
    FileWatch,
    Seen,
    Watch,
    indexes,
    leftovers,
    observer,
    start_scoring,
)
from tests.scoring.readers import (
    Readers,
    differences,
    read_as_users_do,
    run_scores,
    run_totals,
    same_value,
)
from tests.scoring.runs import run_clvbot
from tests.scoring.stalls import Stall, Target, waiting

DAYS = (date(2024, 6, 19), date(2024, 6, 20))  # a Wednesday and a Thursday: one week's point
CARDS = ("c1", "c1500", "c2999")
READ_PARTS = ("run", "cards", "segments", "group", "rows")


@dataclass
class Kill:
    """One kill, as the table shows it."""

    when: str
    phase: str
    committed: bool = False  # COMMIT had reached the server: the run is all there
    gone: float = 0.0  # seconds until the dead process's sessions (SQLite: its lock) were gone
    previous_readable: bool = False
    next_correct: bool = False
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Reference:
    """An uninterrupted scoring of a day: its per-customer scores and its run row's totals."""

    scores: dict[str, tuple[Any, ...]]
    totals: tuple[Any, ...]
    seconds: float  # from its first session to its commit


Killer = Callable[[Watch, date, Readers], Kill]


class KilledShop:
    """A scored store on PostgreSQL whose runs the test kills, one round per kill."""

    def __init__(self, engine: Engine, database_url: str, workdir: Path) -> None:
        self.engine, self.database_url, self.workdir = engine, database_url, workdir
        self.observer: Connection = observer(engine)
        self.references: dict[date, Reference] = {}
        self.sessions = 0

    def close(self) -> None:
        self.observer.close()

    def score_reference(self, day: date) -> Reference:
        """Score `day` uninterrupted, timed from its first session to its commit."""
        watch = self._watch()
        process = self._start(watch, day)
        watch.until(lambda seen: seen.begun, process)
        began = time.monotonic()
        seen = watch.until(lambda seen: seen.status == "complete", process)
        seconds = time.monotonic() - began
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, out + err
        assert seen.run_id is not None
        found = Reference(
            run_scores(self.engine, seen.run_id), run_totals(self.engine, seen.run_id), seconds
        )
        self.references[day] = found
        return found

    def kill_held(self, stall: Stall) -> Kill:
        return self._round(lambda watch, day, before: self._held(stall, watch, day, before))

    def kill_after(self, seconds: float) -> Kill:
        return self._round(lambda watch, day, _before: self._timed(seconds, watch, day))

    def kill_when(self, reached: Callable[[Seen], bool]) -> Kill:
        return self._round(lambda watch, day, _before: self._seen(reached, watch, day))

    def _round(self, kill: Killer) -> Kill:
        """Kill a run of the other day than the current run's; check what it left, run the
        next one and check that."""
        before = read_as_users_do(self.engine, CARDS)
        day = DAYS[0] if before.run.as_of == DAYS[1] else DAYS[1]
        before_indexes = indexes(self.observer)
        watch = self._watch()
        found = kill(watch, day, before)
        killed = self._runs_after(watch.after)
        found.committed = any(status == "complete" for _, status in killed)
        found.problems += [f"left on the server: {item}" for item in leftovers(self.observer)]
        if indexes(self.observer) != before_indexes:
            found.problems.append("the store's indexes changed")
        self._check_readers(found, before, day, killed)
        self._check_next_run(found, day, killed)
        return found

    def _held(self, stall: Stall, watch: Watch, day: date, before: Readers) -> Kill:
        """Hold the stall's lock, start the run, kill it once the server shows it waiting."""
        for statement in stall.setup:
            self.observer.execute(text(statement))
        holder, blocker = self.engine.connect(), self.engine.connect()
        process = None
        started = time.monotonic()
        try:
            holder.execute(text(stall.hold))
            process = self._start(watch, day)
            if stall.block is not None:
                seen = watch.until(lambda seen: seen.status == "running" and waiting(seen), process)
                assert seen.run_id is not None
                stall.block(blocker, self._target(seen.run_id, day, before))
                holder.rollback()  # the run goes on, up to the blocking row
            seen = watch.until(stall.reached, process)
            _kill(process)
        finally:
            _release(holder, blocker, process=process)  # a held session can end now
        gone = watch.gone()
        for statement in stall.teardown:
            self.observer.execute(text(statement))
        found = Kill(f"held, {time.monotonic() - started:.1f} s", seen.phase(), gone=gone)
        if not stall.may_commit:
            found.problems += [] if seen.status != "complete" else ["committed before the kill"]
        return found

    def _timed(self, seconds: float, watch: Watch, day: date) -> Kill:
        """Kill the run `seconds` after it reached the store (its first session on
        PostgreSQL, its lock on SQLite): the process spends its first seconds importing."""
        process = self._start(watch, day)
        try:
            watch.until(lambda seen: seen.begun, process)
            began = time.monotonic()
            while (left := began + seconds - time.monotonic()) > 0 and process.poll() is None:
                time.sleep(min(left, POLL_SECONDS))
            seen = watch.see()
            ended = process.poll() is not None
            process.kill()  # SIGKILL
            late = time.monotonic() - began - seconds
            process.communicate(timeout=30)
        finally:
            _release(process=process)
        gone = watch.gone()
        said = "(ended first)" if ended else f"(+{late * 1000:.0f})"
        return Kill(f"{seconds * 1000:4.0f} ms {said}", seen.phase(), gone=gone)

    def _seen(self, reached: Callable[[Seen], bool], watch: Watch, day: date) -> Kill:
        """Kill the run as soon as it is seen in the state `reached` (polled every 2 ms)."""
        process = self._start(watch, day)
        try:
            watch.until(lambda seen: seen.begun, process)
            began = time.monotonic()
            seen = watch.until(reached, process)
            process.kill()  # SIGKILL
            process.communicate(timeout=30)
        finally:
            _release(process=process)
        gone = watch.gone()
        return Kill(f"seen, {(time.monotonic() - began) * 1000:.0f} ms", seen.phase(), gone=gone)

    def _check_readers(
        self, found: Kill, before: Readers, day: date, killed: list[tuple[int, str]]
    ) -> None:
        """Nothing of a rolled-back run is visible; a committed one is all there."""
        problems: list[str] = []
        after = self._read(problems, "after the kill")
        if after is not None and found.committed:
            run_id = killed[-1][0]
            problems += self._differs_from_reference(run_id, day)
            if after.run.run_id != run_id:
                problems.append(f"readers see run {after.run.run_id}, not the committed one")
        elif after is not None:
            problems += [
                f"readers' {part} changed after the kill"
                for part in READ_PARTS
                if getattr(after, part) != getattr(before, part)
            ]
        found.previous_readable = not problems
        found.problems += problems

    def _check_next_run(self, found: Kill, day: date, killed: list[tuple[int, str]]) -> None:
        """`clvbot score` as an operator would run it next: no flag, nothing cleaned first."""
        done = run_clvbot(self.database_url, self.workdir, "score", "--as-of", day.isoformat())
        problems = [] if done.returncode == 0 else [f"next run failed: {done.stderr}"]
        statuses = dict(self._runs_after(0))
        if not problems:
            newest = max(statuses)
            problems += self._differs_from_reference(newest, day)
            current = self._read(problems, "after the next run")
            if current is not None and current.run.run_id != newest:
                problems.append(f"readers see run {current.run.run_id}, not the next run {newest}")
        want = "complete" if found.committed else "interrupted"
        problems += [
            f"killed run {run_id} is {statuses[run_id]}, not {want}"
            for run_id, _ in killed
            if statuses[run_id] != want
        ]
        if "running" in statuses.values():
            problems.append("a run is still recorded running")
        store = sqlite_file(self.engine.url)
        if store is not None and (left := list(store.parent.glob(f"{store.name}-stage-*"))):
            problems.append(f"stage files left after the next run: {left}")  # clv.scoring.stage
        found.next_correct = not problems
        found.problems += problems

    def _read(self, problems: list[str], when: str) -> Readers | None:
        """What readers see; None, with the problem noted, when reading fails."""
        try:
            return read_as_users_do(self.engine, CARDS)
        except Exception as exc:  # e.g. NotScoredYetError: a card's scores are gone
            problems.append(f"readers fail {when}: {exc!r}")
            return None

    def _differs_from_reference(self, run_id: int, day: date) -> list[str]:
        reference = self.references[day]
        problems = differences(run_scores(self.engine, run_id), reference.scores)[:5]
        got = run_totals(self.engine, run_id)
        if not all(map(same_value, got, reference.totals)):
            problems.append(f"run {run_id}: {got} != {reference.totals}")
        return problems

    def _target(self, run_id: int, day: date, previous: Readers) -> Target:
        """The rows a stall makes the run wait at: the middle buyer's score and the last
        buyer's history row (the run writes both in customer order)."""
        query = text(
            "SELECT customer_id FROM customer_scores WHERE run_id = :run_id "
            "AND first_order IS NOT NULL ORDER BY customer_id"
        )
        ids = [row[0] for row in self.observer.execute(query, {"run_id": previous.run.run_id})]
        return Target(run_id, day, previous.run.run_id, ids[len(ids) // 2], ids[-1])

    def _watch(self) -> Watch:
        self.sessions += 1
        latest = self.observer.execute(text("SELECT coalesce(max(id), 0) FROM scoring_runs"))
        kind = FileWatch if self.engine.dialect.name == "sqlite" else Watch
        return kind(self.observer, f"killtest-{self.sessions}", int(latest.scalar_one()))

    def _start(self, watch: Watch, day: date) -> subprocess.Popen[str]:
        process = start_scoring(self.database_url, self.workdir, watch.name, day.isoformat())
        watch.pid = process.pid
        return process

    def _runs_after(self, run_id: int) -> list[tuple[int, str]]:
        query = text("SELECT id, status FROM scoring_runs WHERE id > :id ORDER BY id")
        return [(row.id, row.status) for row in self.observer.execute(query, {"id": run_id})]


def _kill(process: subprocess.Popen[str]) -> None:
    process.kill()  # SIGKILL
    process.communicate(timeout=30)


def _release(*connections: Connection, process: subprocess.Popen[str] | None = None) -> None:
    """End the test's holding transactions and locks (and the process, if a step failed)."""
    if process is not None and process.poll() is None:
        _kill(process)
    for connection in connections:
        connection.rollback()
        connection.execute(text("SELECT pg_advisory_unlock_all()"))
        connection.commit()
        connection.close()
