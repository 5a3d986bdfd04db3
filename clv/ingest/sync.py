"""The nightly sync: import what is new in SYNC_SOURCE since the last sync.

SYNC_SOURCE is either
- a SQL URL, read with SYNC_QUERY (columns as `import orders --from-sql` reads them). The
  sync reads the orders placed since the last sync's watermark (the newest order timestamp in
  the store after it) minus SYNC_OVERLAP_HOURS, so that rows written late (an order from
  before the last sync that reached the source after it) are not missed; the rows read again
  are "unchanged". A query that names `:since` gets the moment bound there; any other is
  wrapped: `SELECT * FROM (SYNC_QUERY) AS sync_source WHERE ordered_at >= :since`.
- a path or glob of export files another system drops (`/exports/orders-*.csv`): each file
  that is new or has changed since it was imported (size or modification time) is imported,
  in name order, in SYNC_FORMAT (`auto` recognises each file's format).

Each import is one transaction, as ever; the sync's outcome is stored (`sync_runs`) whether
it succeeded or failed, and shown by `/clv model`. The source is the system of record: a row
that changed there replaces the stored order (`--update`).
"""

from __future__ import annotations

import glob
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from clv.errors import UserFacingError
from clv.ingest.orders import import_orders, import_orders_from_sql
from clv.ingest.report import ImportReport
from clv.ingest.sql_source import masked, source_url
from clv.insights.syncs import SyncOutcome
from clv.settings import Settings
from clv.store.tables import orders_table, sync_runs_table

runs = sync_runs_table


def run_sync(engine: Engine, settings: Settings, *, now: datetime) -> SyncOutcome:
    """Sync once (see the module docstring); the outcome is stored, a failure included."""
    if settings.sync_source is None:
        raise UserFacingError("SYNC_SOURCE is not set: nothing to sync")
    source = settings.sync_source.get_secret_value()
    with engine.begin() as connection:
        previous = connection.execute(
            select(runs).where(runs.c.status == "ok").order_by(runs.c.id.desc()).limit(1)
        ).first()
        label = _label(source)
        created = connection.execute(
            insert(runs).values(source=label[:2000], status="running", started_at=now, details={})
        )
        assert created.inserted_primary_key is not None
        sync_id = created.inserted_primary_key[0]
    outcome: dict[str, Any] = {"status": "failed"}
    try:
        if "://" in source:
            outcome |= _sync_query(engine, settings, source, previous, now)
        else:
            outcome |= _sync_files(engine, settings, source, previous)
        outcome["status"] = "ok"
    except (UserFacingError, SQLAlchemyError, OSError) as exc:
        outcome["error"] = _message(exc, settings)[:2000]
    with engine.begin() as connection:
        outcome["watermark"] = connection.execute(
            select(func.max(orders_table.c.ordered_at))
        ).scalar()
        connection.execute(
            update(runs).where(runs.c.id == sync_id).values(finished_at=now, **outcome)
        )
        row = connection.execute(select(runs).where(runs.c.id == sync_id)).one()
    return SyncOutcome.of(row)


def _label(source: str) -> str:
    """How the outcome names the source: the URL with its password masked, or the glob. A
    URL that cannot be read is named so; the sync then fails, recorded, on that."""
    if "://" not in source:
        return source
    try:
        return masked(source_url(source))
    except UserFacingError:
        return "(not a database URL)"


def _message(exc: BaseException, settings: Settings) -> str:
    """The failure in one line, without the source's password."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    message = text[0] if text else type(exc).__name__
    assert settings.sync_source is not None
    source = settings.sync_source.get_secret_value()
    if "://" in source:
        try:
            password = source_url(source).password
        except UserFacingError:
            return message  # no URL, so no password in it to hide
        if password:
            message = message.replace(str(password), "***")
    return message


def _counts(reports: list[ImportReport]) -> dict[str, int]:
    return {
        name: sum(getattr(r, name) for r in reports)
        for name in ("read", "imported", "updated", "unchanged", "rejected")
    }


def _sync_query(
    engine: Engine, settings: Settings, url: str, previous: Any, now: datetime
) -> dict[str, Any]:
    query = (settings.sync_query or "").strip().rstrip(";")
    if not query:
        raise UserFacingError("SYNC_SOURCE is a database: set SYNC_QUERY, the SELECT to read")
    since = None
    params: dict[str, Any] | None = None
    if previous is not None and previous.watermark is not None:
        since = previous.watermark - timedelta(hours=settings.sync_overlap_hours)
        if ":since" not in query:
            query = f"SELECT * FROM ({query}) AS sync_source WHERE ordered_at >= :since"
        params = {"since": _bindable(since, url)}
    export_format = "generic" if settings.sync_format == "auto" else settings.sync_format
    report = import_orders_from_sql(
        engine,
        url,
        query,
        settings,
        params=params,
        export_format=export_format,
        update_existing=True,
        rejects_path=Path(f"sync-{now:%Y%m%d-%H%M%S}.rejects.csv"),
    )
    return {"since": since, **_counts([report])}


def _bindable(since: datetime, url: str) -> Any:
    """SQLite keeps timestamps as text: compare with `YYYY-MM-DD HH:MM:SS` in UTC (a stored
    `T` separator sorts after the space, so the boundary day is read, never missed)."""
    if source_url(url).get_backend_name() == "sqlite":
        return since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return since


def _sync_files(engine: Engine, settings: Settings, pattern: str, previous: Any) -> dict[str, Any]:
    """Import each file matching `pattern` that is new or changed since it was imported."""
    done: dict[str, list[int]] = dict((previous.details or {}).get("files", {})) if previous else {}
    reports: list[ImportReport] = []
    files = sorted(glob.glob(pattern))
    for name in files:
        stat = Path(name).stat()
        fingerprint = [stat.st_size, stat.st_mtime_ns]
        if done.get(name) == fingerprint:
            continue
        reports.append(
            import_orders(
                engine,
                Path(name),
                settings,
                export_format=settings.sync_format,
                update_existing=True,
            )
        )
        done[name] = fingerprint
    kept = {name: done[name] for name in files if name in done}  # forget files removed since
    return {"details": {"files": kept}, **_counts(reports)}
