"""The scoring lock itself: where it lives, that it excludes, waits a bounded time, and lets go."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, text

from clv.scoring.lock import LockBusyError, lock_file, scoring_lock
from clv.store import make_engine


def test_the_sqlite_lock_file_is_beside_the_database_file(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    assert lock_file(make_url(f"sqlite:///{db}")) == tmp_path / "shop.db.scoring.lock"
    assert lock_file(make_url(f"sqlite:///file:{db}?mode=rw&uri=true")) == (
        tmp_path / "shop.db.scoring.lock"
    )
    for in_memory in ("sqlite://", "sqlite:///:memory:", "sqlite:///file:x?mode=memory&uri=true"):
        assert lock_file(make_url(in_memory)) is None, in_memory


def test_a_second_holder_is_refused_after_its_wait_and_gets_the_lock_once_released(
    engine: Engine,
) -> None:
    with scoring_lock(engine):
        started = time.monotonic()
        with pytest.raises(LockBusyError), scoring_lock(engine, wait_seconds=0.6):
            pass
        assert 0.6 <= time.monotonic() - started < 5
    with scoring_lock(engine):  # released: the next holder gets it at once
        pass
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            held = connection.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
            ).scalar_one()
        assert held == 0  # no pooled session kept it


def test_an_in_memory_store_needs_no_lock() -> None:
    memory = make_engine("sqlite://")
    with scoring_lock(memory), scoring_lock(memory):
        pass
    memory.dispose()
