"""What the store says of the nightly syncs (see `clv.ingest.sync`): `/clv model` shows the last."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import Connection, select

from clv.store.tables import sync_runs_table as runs


@dataclass(frozen=True)
class SyncOutcome:
    """One sync as stored: what `/clv model` says of the last one."""

    sync_id: int
    source: str  # the URL with its password masked, or the glob
    status: str  # running | ok | failed
    started_at: datetime
    finished_at: datetime | None
    since: datetime | None
    watermark: datetime | None
    read: int
    imported: int
    updated: int
    unchanged: int
    rejected: int
    error: str | None

    def sentence(self, zone: tzinfo) -> str:
        """`orders synced Wed 2 Dec 02:00: 1,204 new, 3 rejected`, or why it failed."""
        when = self.started_at.astimezone(zone)
        at = f"{when:%a} {when.day} {when:%b %H:%M}"
        if self.status == "failed":
            return f"orders sync failed {at}: {self.error}"
        if self.status == "running":
            return f"orders sync under way since {at}"
        counts = [f"{self.imported:,} new"]
        if self.updated:
            counts.append(f"{self.updated:,} updated")
        counts.append(f"{self.rejected:,} rejected")
        return f"orders synced {at}: {', '.join(counts)}"

    @classmethod
    def of(cls, row: Any) -> SyncOutcome:
        return cls(
            row.id,
            row.source,
            row.status,
            row.started_at,
            row.finished_at,
            row.since,
            row.watermark,
            row.read,
            row.imported,
            row.updated,
            row.unchanged,
            row.rejected,
            row.error,
        )


def latest_sync(connection: Connection) -> SyncOutcome | None:
    """The newest sync, or None if there never was one."""
    row = connection.execute(select(runs).order_by(runs.c.id.desc()).limit(1)).first()
    return None if row is None else SyncOutcome.of(row)
