"""Locks the test holds so that a scoring run stops at a chosen phase until it is killed there:
before its run row, while it reads the orders, in its write transaction before the customer
scores, with them written (at their attach), at its last write, and inside COMMIT. Nothing in the
product waits for the test: the run meets an ordinary lock (a table lock, or a row another
transaction is inserting under the same key) as it would meet any other session's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from tests.scoring.kills import Seen, statement

COMMIT_KEY = 0x6B69_6C6C_7465_7374  # "killtest": the advisory lock COMMIT waits for
HOLD_ORDERS = "LOCK TABLE orders IN ACCESS EXCLUSIVE MODE"  # the run waits at its first read
# a deferred constraint trigger runs inside COMMIT: it waits there while the test holds the lock
HOLD_COMMIT_SETUP = (
    f"""CREATE FUNCTION killtest_hold_commit() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN PERFORM pg_advisory_xact_lock_shared({COMMIT_KEY}); RETURN NULL; END $$""",
    """CREATE CONSTRAINT TRIGGER killtest_hold_commit AFTER UPDATE ON scoring_runs
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.status = 'running' AND NEW.status = 'complete')
    EXECUTE FUNCTION killtest_hold_commit()""",
)
HOLD_COMMIT_TEARDOWN = (
    "DROP TRIGGER killtest_hold_commit ON scoring_runs",
    "DROP FUNCTION killtest_hold_commit()",
)


@dataclass(frozen=True)
class Target:
    """What a conflicting row is made of: the killed run, its day, and the customers whose
    rows the run writes half-way through and last."""

    run_id: int
    day: date
    previous_run_id: int
    middle_customer: int
    last_customer: int


@dataclass(frozen=True)
class Stall:
    """`hold` runs in an open transaction of the test's before the process starts; `block`
    (if any) once the run row is committed, in a second one, after which `hold` is let go;
    the kill comes when `reached` holds."""

    name: str
    hold: str
    reached: Callable[[Seen], bool]
    block: Callable[[Connection, Target], None] | None = None
    setup: tuple[str, ...] = ()
    teardown: tuple[str, ...] = ()
    may_commit: bool = False  # killed once COMMIT reached the server: the server decides


def waiting(seen: Seen) -> bool:
    """A session of the run waits on a lock."""
    return any(b.waiting for b in seen.backends)


def _writer_waits(seen: Seen, on: str = "") -> bool:
    writer = seen.writer
    return writer is not None and writer.waiting and statement(writer.query).startswith(on)


def _same_key_week(connection: Connection, target: Target) -> None:
    """The last customer's history row of the run's day, uncommitted: the run's copy of its
    customers into the weekly history (its last bulk write) waits at that row."""
    connection.execute(
        text(
            "INSERT INTO customer_weekly (week_end, customer_id, predicted_clv, segment, dormant)"
            " VALUES (:day, :customer, 0, 'held', false)"
        ),
        {"day": target.day, "customer": target.last_customer},
    )


STALLS = (
    Stall(
        "before the run row",
        "LOCK TABLE scoring_runs IN SHARE MODE",
        lambda seen: seen.locked and seen.run_id is None and waiting(seen),
    ),
    Stall(
        "reading the orders",
        HOLD_ORDERS,
        lambda seen: seen.status == "running" and seen.writer is None and waiting(seen),
    ),
    Stall(
        "in the transaction, before the scores",
        "LOCK TABLE customer_scores IN SHARE MODE",
        lambda seen: _writer_waits(seen),
    ),
    Stall(
        # on PostgreSQL the scores go by COPY into a table of the run's own, indexed and then
        # attached as the run's partition of customer_scores (clv.scoring.partitions): the
        # attach waits for this lock with every score written and indexed
        "half-way through the scores",
        "LOCK TABLE customer_scores IN SHARE UPDATE EXCLUSIVE MODE",
        lambda seen: _writer_waits(seen, "ALTER"),
    ),
    Stall(
        "at the last write",
        HOLD_ORDERS,
        lambda seen: _writer_waits(seen, "INSERT INTO customer_weekly"),
        block=_same_key_week,
    ),
    Stall(
        "inside COMMIT",
        f"SELECT pg_advisory_lock({COMMIT_KEY})",
        lambda seen: _writer_waits(seen, "COMMIT"),
        setup=HOLD_COMMIT_SETUP,
        teardown=HOLD_COMMIT_TEARDOWN,
        may_commit=True,
    ),
)
