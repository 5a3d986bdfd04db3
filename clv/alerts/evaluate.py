"""After a scoring run: ask every enabled rule once and keep what fires, exactly once.

`evaluate_alerts` reads the current run, asks the rules (`clv.alerts.firings`, `drift`) and
writes, in ONE transaction, each firing as a `pending` row of `alerts` (`muted` while its rule
is muted), the customers the customer rules saw at risk (`alert_subjects`), and the experiment
arms of the customers an alert lists (`clv.outreach.holdout`). The unique (channel, rule,
fire_key) row makes a second evaluation of the same run day — a re-run of the scoring, a
second scheduler — insert nothing: one firing, one row, one post (`reports.alerts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, select
from sqlmodel import Session

from clv.alerts.drift import drift_firing
from clv.alerts.firings import Firing, VipCheck, channel_firing, equity_firing, vip_check
from clv.insights.lists import list_entries, with_verdicts
from clv.insights.runs import NoScoresError, RunRef, current_ref
from clv.outreach.holdout import ListEntry, record
from clv.outreach.policy import OutreachRules
from clv.segments.alerts import enabled_rules, tier_names
from clv.settings import Settings
from clv.store import read_snapshot
from clv.store.engine import in_chunks, upsert_insert
from clv.store.tables import alert_mutes_table, alert_subjects_table, alerts_table


@dataclass(frozen=True)
class Evaluation:
    run: RunRef | None  # None: no scores yet
    firings: tuple[Firing, ...]  # what the rules said of the run
    inserted: int  # new alert rows (0 when the run day was evaluated before)


@dataclass(frozen=True)
class _Asked:
    firings: list[Firing]
    checks: dict[str, VipCheck]


def evaluate_alerts(
    engine: Engine, settings: Settings, *, now: datetime | None = None
) -> Evaluation:
    """Evaluate the rules on the current run for ALERTS_CHANNEL (nothing when it is unset)."""
    now = now or datetime.now(UTC)
    channel = settings.alerts_channel
    if not channel:
        return Evaluation(None, (), 0)
    with read_snapshot(engine) as session:
        try:
            run = current_ref(session)
        except NoScoresError:
            return Evaluation(None, (), 0)
        asked = _ask(session, run, settings)
        entries = _entries(session, run, asked, settings, now)
    with engine.begin() as connection:
        muted = active_mutes(connection, now)
        inserted = sum(
            _insert(connection, channel, run, f, now, muted=f.rule in muted) for f in asked.firings
        )
        for rule, check in asked.checks.items():
            _see(connection, rule, check.at_risk, run)
        record(connection, entries, source="alert", now=now)
    return Evaluation(run, tuple(asked.firings), inserted)


def _ask(session: Session, run: RunRef, settings: Settings) -> _Asked:
    rules = enabled_rules(settings.alert_rules)
    firings: list[Firing] = []
    checks: dict[str, VipCheck] = {}
    for rule in rules:
        if rule in ("vip_dormant", "vip_overdue"):
            check = vip_check(session, run, rule, tier_names(settings.alert_tiers))
            checks[rule] = check
            firing = check.firing
        elif rule == "equity_drop":
            firing = equity_firing(session, run, settings.alert_equity_drop)
        elif rule == "channel_cac":
            firing = channel_firing(session, run)
        else:
            firing = drift_firing(session, run, settings.alert_drift_runs)
        if firing is not None:
            firings.append(firing)
    return _Asked(firings, checks)


def _entries(
    session: Session, run: RunRef, asked: _Asked, settings: Settings, now: datetime
) -> list[ListEntry]:
    """The experiment entries of the customers the alerts list (a re-engagement list)."""
    listed = [row for check in asked.checks.values() for row in check.listed]
    decided = with_verdicts(session, run, listed, OutreachRules.of(settings), now)
    return list_entries(decided)


def _insert(
    connection: Connection, channel: str, run: RunRef, firing: Firing, now: datetime, *,
    muted: bool,
) -> int:  # fmt: skip
    statement = upsert_insert(connection, alerts_table).values(
        channel=channel, rule=firing.rule, fire_key=firing.fire_key, run_id=run.run_id,
        as_of=run.as_of, status="muted" if muted else "pending", summary=firing.summary[:500],
        payload={**firing.payload, "currency": run.currency, "as_of": run.as_of.isoformat()},
        created_at=now, attempts=0,
    ).on_conflict_do_nothing().returning(alerts_table.c.id)  # fmt: skip
    return len(connection.execute(statement).all())


def _see(connection: Connection, rule: str, customer_ids: tuple[int, ...], run: RunRef) -> None:
    """The rule saw these customers at risk on the run's day."""
    if not customer_ids:
        return
    for chunk in in_chunks(customer_ids):
        statement = upsert_insert(connection, alert_subjects_table).values(
            [{"rule": rule, "customer_id": c, "first_seen": run.as_of, "last_seen": run.as_of}
             for c in chunk]
        )  # fmt: skip
        statement = statement.on_conflict_do_update(
            index_elements=["rule", "customer_id"],
            set_={"last_seen": statement.excluded.last_seen},
        )
        connection.execute(statement)


def active_mutes(connection: Connection | Session, now: datetime) -> dict[str, datetime]:
    """The muted rules and until when."""
    rows = connection.execute(
        select(alert_mutes_table.c.rule, alert_mutes_table.c.until).where(
            alert_mutes_table.c.until > now
        )
    )
    return {row.rule: row.until for row in rows}
