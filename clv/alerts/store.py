"""Recent alerts and muted rules: what `/clv alerts` and `clvbot alerts` show and change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, select
from sqlmodel import Session

from clv.alerts.evaluate import active_mutes
from clv.errors import UserFacingError
from clv.segments.alerts import RULES
from clv.store.engine import upsert_insert
from clv.store.tables import alert_mutes_table as mutes
from clv.store.tables import alerts_table as alerts

RECENT = 20  # alerts `/clv alerts` lists
MAX_MUTE_DAYS = 365


class UnknownRuleError(UserFacingError, ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"there is no alert rule {name!r}: the rules are {', '.join(RULES)}")


@dataclass(frozen=True)
class AlertRecord:
    id: int
    rule: str
    as_of: date
    status: str  # pending | claimed | posted | failed | muted
    summary: str
    channel: str
    created_at: datetime
    posted_at: datetime | None
    message_ts: str | None
    error: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "rule": self.rule, "as_of": self.as_of.isoformat(),
                "status": self.status, "summary": self.summary, "channel": self.channel,
                "created_at": self.created_at.isoformat(),
                "posted_at": self.posted_at.isoformat() if self.posted_at else None,
                "message_ts": self.message_ts, "error": self.error}  # fmt: skip


@dataclass(frozen=True)
class AlertsView:
    """Recent alerts, the muted rules with until when, and the rules turned on."""

    recent: tuple[AlertRecord, ...]
    muted: dict[str, datetime]
    enabled: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"recent": [a.as_dict() for a in self.recent],
                "muted": {rule: until.isoformat() for rule, until in self.muted.items()},
                "enabled": list(self.enabled)}  # fmt: skip


def recent_alerts(
    session: Session, *, now: datetime, enabled: tuple[str, ...], limit: int = RECENT
) -> AlertsView:
    rows = session.execute(
        select(alerts).order_by(alerts.c.created_at.desc(), alerts.c.id.desc()).limit(limit)
    )
    recent = tuple(
        AlertRecord(
            r.id,
            r.rule,
            r.as_of,
            r.status,
            r.summary,
            r.channel,
            r.created_at,
            r.posted_at,
            r.message_ts,
            r.error,
        )
        for r in rows
    )
    return AlertsView(recent, active_mutes(session, now), enabled)


def known_rule(name: str) -> str:
    rule = name.strip().lower().replace("-", "_")
    if rule not in RULES:
        raise UnknownRuleError(name)
    return rule


def mute_rule(engine: Engine, rule: str, *, days: int, by: str, now: datetime) -> datetime:
    """Mute `rule` for `days` days from `now`; returns until when. Muting again replaces."""
    if not 1 <= days <= MAX_MUTE_DAYS:
        raise ValueError(f"a rule is muted for 1 to {MAX_MUTE_DAYS} days, not {days}")
    until = now + timedelta(days=days)
    with engine.begin() as connection:
        _upsert(connection, {"rule": known_rule(rule), "until": until, "muted_by": by[:64],
                             "muted_at": now})  # fmt: skip
    return until


def unmute_rule(engine: Engine, rule: str) -> bool:
    """Unmute `rule`; False when it was not muted."""
    with engine.begin() as connection:
        gone = connection.execute(delete(mutes).where(mutes.c.rule == known_rule(rule)))
    return bool(gone.rowcount)


def _upsert(connection: Connection, values: dict[str, Any]) -> None:
    statement = upsert_insert(connection, mutes).values(**values)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["rule"],
            set_={k: statement.excluded[k] for k in ("until", "muted_by", "muted_at")},
        )
    )
