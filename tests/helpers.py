"""Small helpers shared by tests."""

from __future__ import annotations

import atexit
import csv
import gc
import glob
import itertools
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, func, make_url, select, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel

from clv.insights import CustomerView, RankedList, customer_view, dormant_customers
from clv.outreach.policy import OutreachRules
from clv.settings import Settings
from clv.store import make_engine
from clv.store.tables import customers_table, orders_table

ORDER_HEADER = ["order_id", "customer_id", "ordered_at", "amount"]
# `clvbot` as a process of its own: the entry point, run by the interpreter running the tests
CLVBOT = [sys.executable, "-c", "from bot.cli import main; main()"]


def process_running(pid: int) -> bool:
    """Alive and not a zombie (a zombie holds no memory and no files), from Linux's /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def clvbot_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a clvbot process: the test database, UTC, no Slack settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SLACK_")}
    return {**env, "DATABASE_URL": database_url, "TIMEZONE": "UTC", **extra}


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def count_rows(engine: Engine) -> tuple[int, int]:
    """(customers, orders) in the store."""
    with Session(engine) as session:
        customers = session.execute(select(func.count()).select_from(customers_table)).scalar_one()
        orders = session.execute(select(func.count()).select_from(orders_table)).scalar_one()
    return customers, orders


def view_of(session: Session, key: str, **kwargs: object) -> CustomerView:
    """`customer_view` with the default outreach rules and the real clock (for tests whose
    point is not the outreach verdict)."""
    rules = OutreachRules(cooldown_days=30, require_email=False)
    return customer_view(session, key, rules=rules, now=datetime.now(UTC), **kwargs)  # type: ignore[arg-type]


def dormant_of(session: Session, limit: int = 10) -> RankedList:
    """`dormant_customers` with the default outreach rules and the real clock."""
    rules = OutreachRules(cooldown_days=30, require_email=False)
    return dormant_customers(session, limit=limit, rules=rules, now=datetime.now(UTC))


def stored_orders(engine: Engine) -> set[tuple[str, str, datetime, int]]:
    """(order id, customer id, ordered at in UTC, amount in minor units) of every stored order."""
    query = select(
        orders_table.c.external_id,
        customers_table.c.external_id,
        orders_table.c.ordered_at,
        orders_table.c.amount_minor,
    ).join(customers_table, customers_table.c.id == orders_table.c.customer_id)
    with engine.connect() as connection:
        return {(o, c, at.astimezone(UTC), a) for o, c, at, a in connection.execute(query)}


T = TypeVar("T")


def built_once(
    database_url: str,
    workdir: Path,
    key: tuple[object, ...],
    build: Callable[[], T],
    *,
    engine: Engine | None = None,
) -> T:
    """`build()` (which fills the empty store at `database_url` and may write files into
    `workdir`), run once a session per `key` and kind of store: an empty store given the same
    key again becomes a copy of the database built then (the same rows, ids and scores), its
    `workdir` gets the same files, and the value `build` returned then is returned.

    The copy is a SQLite file copied with the lock files beside it, or on PostgreSQL a
    database created from the built one as its template; where another connection has the
    store open (`engine`'s own are closed first), `build()` simply runs."""
    parsed = make_url(database_url)  # the copies are kept on that server (or for SQLite)
    full_key = (parsed.get_backend_name(), parsed.host, parsed.port, *key)
    empty = _is_empty(database_url)
    saved = _built.get(full_key) if empty else None
    if saved is not None and saved.copy_into(database_url, workdir, engine):
        return saved.value  # type: ignore[no-any-return]
    before = set(workdir.iterdir())
    value = build()
    if empty and full_key not in _built:
        made = sorted(p for p in set(workdir.iterdir()) - before if p.is_file())
        saved = _BuiltStore.save(database_url, made, value, engine)
        if saved is not None:
            _built[full_key] = saved
    return value


_OPEN_SUFFIXES = ("-wal", "-shm", "-journal")  # beside a SQLite file that is open


@dataclass
class _BuiltStore:
    """A built store kept aside: a SQLite file (and its lock files) or a template database on
    the test PostgreSQL server; the files its build wrote; what the build returned."""

    database: Path | str
    files: dict[str, bytes]
    value: Any

    @classmethod
    def save(
        cls, url: str, made: list[Path], value: object, engine: Engine | None
    ) -> _BuiltStore | None:
        if engine is not None:
            engine.dispose()
        database = _sqlite_path(url)
        if database is not None:
            if _is_open(database):
                return None
            kept = Path(tempfile.mkdtemp(prefix="clvbot-built-")) / database.name
            atexit.register(shutil.rmtree, kept.parent, True)
            for source in _store_files(database):
                shutil.copyfile(source, kept.parent / source.name)
            made = [path for path in made if not path.name.startswith(database.name)]
        else:
            kept_name = f"clv_built_{os.getpid()}_{next(_built_names)}"
            statement = f"CREATE DATABASE {kept_name} TEMPLATE {make_url(url).database}"
            if not _on_server_once_unused(url, statement):
                return None
        files = {path.name: path.read_bytes() for path in made}
        return cls(kept if database is not None else kept_name, files, value)

    def copy_into(self, url: str, workdir: Path, engine: Engine | None) -> bool:
        """Make the (empty) store at `url` a copy of this one; False, having done nothing,
        while another connection has it open."""
        if engine is not None:
            engine.dispose()
        database = _sqlite_path(url)
        if isinstance(self.database, Path):
            assert database is not None
            if _is_open(database):
                return False
            for source in _store_files(self.database):
                target = database.parent / source.name.replace(self.database.name,
                                                               database.name, 1)  # fmt: skip
                partial = target.with_name(f"{target.name}.copying")
                shutil.copyfile(source, partial)
                os.replace(partial, target)  # a new file: no old connection writes into it
        else:
            name = make_url(url).database
            if not _on_server_once_unused(url, f"DROP DATABASE {name}"):
                return False
            _on_server(url, f"CREATE DATABASE {name} TEMPLATE {self.database}")
        for file_name, content in self.files.items():
            (workdir / file_name).write_bytes(content)
        return True


_built: dict[tuple[object, ...], _BuiltStore] = {}
_built_names = itertools.count()


def _is_empty(url: str) -> bool:
    """No row in any of the store's tables: the store as `upgrade` left it."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            for table in SQLModel.metadata.sorted_tables:
                if connection.execute(select(table).limit(1)).first() is not None:
                    return False
        return True
    finally:
        engine.dispose()


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    return Path(os.path.abspath(str(parsed.database)))


def _is_open(database: Path) -> bool:
    """Open in a connection (its WAL is there), after the engines nobody holds let go."""
    for attempt in range(2):
        if not any(Path(f"{database}{suffix}").exists() for suffix in _OPEN_SUFFIXES):
            return False
        if attempt == 0:
            gc.collect()
    return True


def _store_files(database: Path) -> list[Path]:
    """The database file and the lock files beside it (no WAL: see `_is_open`)."""
    found = database.parent.glob(f"{glob.escape(database.name)}*")
    return sorted(path for path in found if not path.name.endswith(_OPEN_SUFFIXES))


def _on_server_once_unused(url: str, statement: str) -> bool:
    """`_on_server` once no session uses the database of `url` (the engines nobody holds let
    go first: PostgreSQL would wait 5 s for them, then refuse); False, having done nothing,
    while one does."""
    name = make_url(url).database
    for attempt in range(20):
        if _sessions_on(url, str(name)) == 0:
            break
        if attempt == 0:
            gc.collect()
        time.sleep(0.05)  # a closed connection's server process ends a moment later
    else:
        return False
    try:
        _on_server(url, statement)
    except OperationalError:  # a session came meanwhile
        return False
    return True


def _sessions_on(url: str, database: str) -> int:
    server = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    admin = make_engine(server)
    try:
        with admin.connect() as connection:
            query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name")
            return int(connection.execute(query, {"name": database}).scalar_one())
    finally:
        admin.dispose()


def _on_server(url: str, statement: str) -> None:
    """Run `statement` on the `postgres` database of the server of `url`."""
    server = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


def shipped_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings with the shipped prediction defaults (CLV_MODEL=auto, the PREDICT_MIN_*
    floor), whatever the suite's environment says (tests/conftest.py SUITE_ENV)."""
    values: dict[str, Any] = {
        "clv_model": "auto", "predict_min_customers": 500, "predict_min_history_days": 180,
        "predict_min_repeat_buyers": 50,
    }  # fmt: skip
    return Settings(database_url=database_url, _env_file=None, **(values | overrides))  # type: ignore[call-arg]
