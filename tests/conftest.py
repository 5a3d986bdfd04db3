"""Fixtures: a migrated database on SQLite always and on a real PostgreSQL server when present."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from clv.settings import Settings, get_settings
from clv.store import make_engine, upgrade
from tests.postgres import Cluster, find_bindir, start_cluster
from tests.shopdb import shop_db
from tests.smtp import SmtpServer, free_port

# The suite's stores are small by design (a handful of customers, a few weeks of orders) and
# were written against one model: they run with MBG/NBD and no data floor. CLV_MODEL=auto and
# the PREDICT_MIN_* floor have their own tests, which pass the shipped defaults explicitly
# (tests/scoring/test_model_choice.py, test_fallbacks.py, test_predictions_demo.py).
SUITE_ENV = {
    "CLV_MODEL": "mbgnbd",
    "PREDICT_MIN_CUSTOMERS": "1",
    "PREDICT_MIN_HISTORY_DAYS": "0",
    "PREDICT_MIN_REPEAT_BUYERS": "1",
}
for _name, _value in SUITE_ENV.items():
    os.environ.setdefault(_name, _value)

pytest_plugins = ["tests.bot.fixtures"]
__all__ = ["shop_db"]  # a fixture: the source database of --from-sql and the sync
_counter = itertools.count()
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster | None]:
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("CLVBOT_REQUIRE_POSTGRES"):
            pytest.fail("CLVBOT_REQUIRE_POSTGRES is set but no PostgreSQL server is installed")
        yield None
        return
    cluster = start_cluster(bindir)
    engine = make_engine(cluster.url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("CREATE DATABASE clv_template"))
    engine.dispose()
    template = make_engine(cluster.url_for("clv_template"))
    upgrade(template)
    template.dispose()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once for the session (`upgrade` leaves nothing beside it: no
    WAL once its engine is disposed); each test's database is a copy of it."""
    path = tmp_path_factory.mktemp("sqlite-template") / "clvbot.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    beside = [p.name for p in path.parent.iterdir() if p != path]
    assert not beside, f"upgrade left {beside} beside the store: copy them too"
    return path


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    pg_cluster: Cluster | None,
    sqlite_template: Path,
) -> Iterator[str]:
    """The URL of a fresh, migrated database on each backend."""
    if request.param == "sqlite":
        # the file `upgrade` makes, copied from the session's one (running it took 0.1-0.2 s)
        shutil.copyfile(sqlite_template, tmp_path / "clvbot.db")
        yield f"sqlite:///{tmp_path / 'clvbot.db'}"
        return
    if pg_cluster is None:
        pytest.skip("PostgreSQL is not installed here (CI installs it)")
    name = f"clv_test_{os.getpid()}_{next(_counter)}"
    admin = make_engine(pg_cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE clv_template"))
    yield pg_cluster.url_for(name)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, timezone="UTC", currency="USD", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def env_settings(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the process settings (read from the environment) at the test database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TIMEZONE", "UTC")
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests ran against the real PostgreSQL server (CI requires some did)."""
    passed = terminalreporter.stats.get("passed", [])
    on_postgres = [r for r in passed if "postgresql" in r.nodeid]
    terminalreporter.write_line(
        f"PostgreSQL leg: {len(on_postgres)} tests passed against a real PostgreSQL server"
    )


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on a free loopback port, collecting what it receives."""
    server = SmtpServer(port=free_port())
    server.start()
    yield server
    server.stop()
