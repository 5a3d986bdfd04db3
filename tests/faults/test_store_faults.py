"""Faults 7 and 8 of issue 11: the store locked, unreadable, deleted, stopped or hung, under a
running `clvbot serve`.

Each time: `/clv` gets a polite "the store is not answering" inside Slack's 3 s (never a card
read from a deleted file, never an apology with a traceback), `/healthz` says 503 inside 3 s,
nothing is written where nobody will read it, no empty store is created, and once the fault is
gone the same process answers again without a restart.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.slack.render.outreach_modal import CALLBACK_ID, ModalOrigin, to_private_metadata
from clv.present.outreach import OUTREACH_ACTION
from clv.store import make_engine, upgrade
from tests.bot.fake_slack import FakeSlack
from tests.bot.fixtures import build_scored_store
from tests.bot.limits import all_text
from tests.faults import tally
from tests.faults.served_process import ServeProcess
from tests.helpers import CLVBOT, clvbot_env
from tests.postgres import Cluster, find_bindir, start_cluster

pytestmark = pytest.mark.faults
SLACK_BUDGET = 3.0  # Slack shows the user an error after 3 s without an acknowledgement
NOT_ANSWERING = "not answering"
GROUP = "store faults"


def timed(what: str, request: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    reply = request()
    seconds = time.monotonic() - started
    tally.record_time(what, seconds)
    return reply, seconds


def expect_polite(served: ServeProcess, fault: str) -> None:
    """/clv and /healthz under `fault`: polite and on time."""
    reply, seconds = timed(f"/clv, {fault}", lambda: served.command("1"))
    polite = reply.status == 200 and NOT_ANSWERING in all_text(reply.json())
    on_time = seconds < SLACK_BUDGET
    tally.record(GROUP, "handled" if polite and on_time else "wrong")
    assert polite, reply.body[:300]
    assert on_time, seconds
    health, seconds = timed(f"/healthz, {fault}", lambda: served.get("/healthz"))
    tally.record(GROUP, "handled" if health.status == 503 and seconds < SLACK_BUDGET else "wrong")
    assert (health.status, health.json()) == (503, {"ok": False})
    assert seconds < SLACK_BUDGET


def expect_recovered(served: ServeProcess) -> None:
    deadline = time.monotonic() + 15
    while served.get("/healthz").status != 200:
        assert time.monotonic() < deadline, "the store came back but /healthz did not"
        time.sleep(0.2)
    text_ = all_text(served.command("1").json())
    tally.record(GROUP, "handled" if "Jane Doe" in text_ else "wrong")
    assert "Jane Doe" in text_


def log_has_no_traceback(served: ServeProcess) -> None:
    assert "Traceback" not in served.log.read_text()


@pytest.fixture
def sqlite_store(scored_sqlite: Path, tmp_path: Path) -> Path:
    """A private copy of the scored CDNOW store."""
    target = tmp_path / "clvbot.db"
    shutil.copyfile(scored_sqlite, target)
    return target


def test_a_send_on_a_write_locked_sqlite_is_answered_in_seconds_not_30(
    serve_process: Callable[..., ServeProcess], sqlite_store: Path, fake_slack: FakeSlack
) -> None:
    """Fault 7: a locked SQLite made an outreach click wait the full 30 s. Another process
    holds the write lock (in WAL mode readers still read): the outreach modal's Send, which
    writes, waits STORE_TIMEOUT_SECONDS, says the store is not answering and sends nothing;
    once the lock is gone it sends."""
    served = serve_process(f"sqlite:///{sqlite_store}")
    locker = sqlite3.connect(sqlite_store, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        assert "Jane Doe" in all_text(served.command("1").json())  # reads go on
        started = time.monotonic()
        served.submit(send_view(fake_slack.response_url("locked")))
        (call,) = fake_slack.wait_for("/respond/locked", timeout=10)
        seconds = time.monotonic() - started
        tally.record_time("outreach send, SQLite write-locked", seconds)
        assert NOT_ANSWERING in all_text(call.body)
        assert seconds < SLACK_BUDGET
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    with sqlite3.connect(sqlite_store) as con:
        assert con.execute("SELECT count(*) FROM outreach").fetchone() == (0,)
    served.submit(send_view(fake_slack.response_url("unlocked")))
    fake_slack.wait_for("/respond/unlocked")
    with sqlite3.connect(sqlite_store) as con:
        assert con.execute("SELECT count(*) FROM outreach").fetchone() == (1,)
    log_has_no_traceback(served)


def send_view(response_url: str) -> dict[str, Any]:
    """The outreach modal for customer 1, opened from an ephemeral card (answers go to
    `response_url`), as its Send submits it."""
    origin = ModalOrigin(1, "card", "C1", "1700000000.000100", True, response_url)
    return {"id": "V1", "type": "modal", "callback_id": CALLBACK_ID,
            "private_metadata": to_private_metadata(origin), "blocks": []}  # fmt: skip


def test_a_deleted_sqlite_file_fails_health_writes_nothing_and_is_not_recreated(
    serve_process: Callable[..., ServeProcess], sqlite_store: Path, fake_slack: FakeSlack
) -> None:
    """Fault 8: with the file deleted /healthz stayed 200 and an outreach audit row was written
    into the deleted file and lost; a restart left an empty file behind."""
    served = serve_process(f"sqlite:///{sqlite_store}")
    assert "Jane Doe" in all_text(served.command("1").json())
    backup = sqlite_store.with_name("backup.db")
    shutil.copyfile(sqlite_store, backup)
    deleted = sqlite3.connect(sqlite_store)  # keeps the deleted file readable to the test
    assert deleted.execute("SELECT count(*) FROM outreach").fetchone() == (0,)
    sqlite_store.unlink()  # `rm clvbot.db`
    expect_polite(served, "SQLite file deleted")
    served.click(OUTREACH_ACTION, '{"customer": 1, "source": "card"}', tag="gone")
    (call,) = fake_slack.wait_for("/respond/gone")
    assert NOT_ANSWERING in all_text(call.body)
    assert deleted.execute("SELECT count(*) FROM outreach").fetchone() == (0,)
    assert not sqlite_store.exists()  # nothing created an empty store in its place
    restart = subprocess.run(
        [*CLVBOT, "serve", "--no-scheduler", "--port", "9"],
        env=clvbot_env(f"sqlite:///{sqlite_store}", SLACK_SIGNING_SECRET="s", SLACK_BOT_TOKEN="t"),
        capture_output=True,
        text=True,
    )
    assert restart.returncode == 1
    assert "does not exist: run `clvbot db upgrade`" in " ".join(restart.stderr.split())
    assert not sqlite_store.exists()
    deleted.close()
    for stale in (Path(f"{sqlite_store}-wal"), Path(f"{sqlite_store}-shm")):
        stale.unlink(missing_ok=True)  # a restored file must not meet the old file's WAL
    shutil.copyfile(backup, sqlite_store)
    expect_recovered(served)
    log_has_no_traceback(served)


def test_an_unreadable_sqlite_file_fails_health_and_recovers(
    serve_process: Callable[..., ServeProcess], sqlite_store: Path
) -> None:
    """Fault 8: under chmod 000, 85 % of requests failed while /healthz stayed 200."""
    served = serve_process(f"sqlite:///{sqlite_store}", obey_file_modes=True)
    assert "Jane Doe" in all_text(served.command("1").json())
    sqlite_store.chmod(0)
    try:
        expect_polite(served, "SQLite file unreadable")
    finally:
        sqlite_store.chmod(0o666)
    expect_recovered(served)
    log_has_no_traceback(served)


@pytest.fixture
def pg_store(tmp_path: Path) -> Iterator[tuple[Cluster, str]]:
    """A PostgreSQL cluster of this test's own (it will be stopped and hung) with the scored
    CDNOW store."""
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("CLVBOT_REQUIRE_POSTGRES"):
            pytest.fail("CLVBOT_REQUIRE_POSTGRES is set but no PostgreSQL server is installed")
        pytest.skip("PostgreSQL is not installed here (CI installs it)")
    cluster = start_cluster(bindir)
    admin = make_engine(cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CREATE DATABASE clv"))
    admin.dispose()
    url = cluster.url_for("clv")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    build_scored_store(url, tmp_path)
    yield cluster, url
    cluster.stop()


def cluster_pids(cluster: Cluster) -> list[int]:
    """The postmaster and every backend of `cluster` (its children, from /proc)."""
    postmaster = int((cluster.datadir / "postmaster.pid").read_text().split()[0])
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == postmaster:  # the parent pid
            children.append(int(stat.parent.name))
    return [postmaster, *children]


def test_a_hung_postgresql_gets_polite_answers_inside_3_seconds(
    serve_process: Callable[..., ServeProcess], pg_store: tuple[Cluster, str]
) -> None:
    """Fault 7: a hung PostgreSQL (SIGSTOP) blocked /clv for 11.9 s and /healthz for 24.9 s."""
    cluster, url = pg_store
    served = serve_process(url)
    assert "Jane Doe" in all_text(served.command("1").json())
    stopped = cluster_pids(cluster)
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
    try:
        for _ in range(3):  # again and again: hung reads must not pile up into a hang
            expect_polite(served, "PostgreSQL hung")
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
    expect_recovered(served)
    log_has_no_traceback(served)


def test_a_stopped_postgresql_gets_polite_answers_and_recovers_without_a_restart(
    serve_process: Callable[..., ServeProcess], pg_store: tuple[Cluster, str]
) -> None:
    cluster, url = pg_store
    served = serve_process(url)
    assert "Jane Doe" in all_text(served.command("1").json())
    cluster.pg_ctl("-m", "fast", "stop")
    try:
        expect_polite(served, "PostgreSQL stopped")
    finally:
        cluster.start()
    expect_recovered(served)
    log_has_no_traceback(served)
