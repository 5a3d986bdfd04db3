"""The in-use guard of SQLite stores, between real processes: a store another process holds is
never claimed for deleting, a store being rebuilt is not opened, and kill -9 frees both."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from clv.store import inuse, make_engine
from clv.store.inuse import (
    StoreInUseError,
    claim_for_rebuild,
    hold_shared,
    hold_while_open,
    in_use_lock_file,
)
from tests.store.holders import Holder, hold, started_holders


@pytest.fixture
def holders() -> Iterator[list[Holder]]:
    with started_holders() as started:
        yield started


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    path.write_bytes(b"")
    return path


def test_a_store_another_process_uses_is_never_claimed_and_kill_9_frees_it(
    database: Path, holders: list[Holder]
) -> None:
    user = hold(holders, "use", database)
    assert user.said == "ready"

    with pytest.raises(StoreInUseError) as refused:
        claim_for_rebuild(database)

    assert str(refused.value) == f"{database} is in use by another clvbot process: stop it first"
    assert database.exists()
    user.kill()  # however it ends, the kernel lets go of its lock
    with claim_for_rebuild(database) as claim:
        claim.delete_files()
    assert not database.exists()


def test_a_store_being_rebuilt_is_refused_to_others_until_it_is_built(
    database: Path, holders: list[Holder]
) -> None:
    being_built = f"{database} is being built by another clvbot process: try again when it is done"
    with claim_for_rebuild(database) as claim:
        claim.delete_files()
        assert hold(holders, "use", database).said == being_built
        assert hold(holders, "rebuild", database).said == being_built
        database.write_bytes(b"")  # built
        claim.share()
        assert hold(holders, "use", database).said == "ready"
        assert hold(holders, "rebuild", database).said == (
            f"{database} is in use by another clvbot process: stop it first"
        )
    assert [holders[i].process.wait(10) for i in (0, 1, 3)] == [3, 3, 3]


def test_a_claim_that_was_never_shared_is_free_again_once_released(
    database: Path, holders: list[Holder]
) -> None:
    claim_for_rebuild(database).release()

    assert hold(holders, "rebuild", database).said == "ready"


def test_a_process_may_rebuild_a_store_its_own_engines_hold(
    database: Path, holders: list[Holder]
) -> None:
    release = hold_shared(database)
    with claim_for_rebuild(database) as claim:  # no other process holds it: allowed
        claim.share()
    assert hold(holders, "rebuild", database).said.endswith("stop it first")  # still in use
    release()
    release()  # a second call changes nothing
    assert hold(holders, "rebuild", database).said == "ready"


def test_an_engine_holds_its_store_for_as_long_as_it_lives(
    database: Path, holders: list[Holder]
) -> None:
    engine = make_engine(f"sqlite:///{database}")
    hold_while_open(engine, database)  # what make_engine does for every SQLite store

    assert hold(holders, "rebuild", database).said.endswith("stop it first")
    engine.dispose()
    del engine
    gc.collect()
    assert hold(holders, "rebuild", database).said == "ready"


def test_a_hold_given_back_by_the_garbage_collector_inside_the_guard_does_not_deadlock(
    database: Path, holders: list[Holder]
) -> None:
    """An engine's finalizer runs wherever the collector runs, even inside the guard's own
    critical section (this hung a test run once): it must queue, not wait."""
    release = hold_shared(database)

    def collected_inside() -> None:
        with inuse._locked():  # where a collection may run the finalizer
            release()

    worker = threading.Thread(target=collected_inside, daemon=True)
    worker.start()
    worker.join(5)

    assert not worker.is_alive(), "deadlocked"
    assert hold(holders, "rebuild", database).said == "ready"  # given back, once outside


def test_nothing_is_held_for_a_missing_file_or_a_database_server(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    hold_while_open(object(), missing)
    hold_while_open(object(), None)

    assert not in_use_lock_file(missing).exists()  # no lock file beside a mistyped path
    assert list(tmp_path.iterdir()) == []
