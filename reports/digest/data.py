"""The weekly digest's content, read from stored aggregates only (never a scan of customers).

Everything here comes from the runs table (one row per run, with the week-over-week changes
the scoring run kept in its details), the per-run group stats, the ten or so dormant customers
at the top of an index, and the outreach audit. Personal data is masked: the digest is a
channel post.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from clv.insights import dormant_customers, weekly_runs
from clv.insights.runs import NoScoresError
from clv.outreach import OutreachOutcome, outreach_eligibility, outreach_outcomes
from clv.outreach.policy import OutreachRules
from clv.present.privacy import to_masked_key, to_masked_name
from clv.segments.definitions import all_segments
from clv.settings import Settings
from clv.store.tables import ScoringRun, customers_table, run_group_stats_table

TREND_WEEKS = 13
MOVERS = 5
MIGRATIONS = 5


@dataclass(frozen=True)
class WeekPoint:
    week_end: date
    customer_equity: float
    mean_clv: float
    active: int
    dormant: int
    revenue_minor: int


@dataclass(frozen=True)
class SegmentRow:
    name: str
    customers: int
    clv_sum: float
    customers_change: int | None  # None: the segment has no previous week to compare with
    clv_change: float | None


@dataclass(frozen=True)
class Mover:
    key: str  # masked customer id
    name: str | None  # masked
    before: float
    after: float


@dataclass(frozen=True)
class Migration:
    source: str
    target: str
    customers: int


@dataclass(frozen=True)
class Drivers:
    new_customers: int
    new_customers_clv: float
    went_dormant: int
    went_dormant_change: float
    others_change: float


@dataclass(frozen=True)
class ModelHealth:
    name: str
    as_of: date
    fitted_at: datetime | None
    holdout_predicted: float | None
    holdout_actual: float | None
    holdout_error: float | None  # (predicted - actual) / actual
    warnings: list[str]


@dataclass(frozen=True)
class DormantRow:
    customer_id: int  # store id: the outreach button's value
    key: str  # masked
    name: str | None  # masked
    segment: str
    predicted_clv: float
    value_at_stake: float
    reason: str | None
    opted_out: bool
    eligible: bool
    why_not: str | None  # why no button, in plain words: opted out, no email, cooldown
    contacted_by: str | None = None  # the Slack user holding the cooldown, when that is why
    contacted_on: date | None = None
    next_possible: date | None = None


@dataclass(frozen=True)
class Digest:
    week_end: date
    as_of: date
    currency: str
    currency_exponent: int
    trend: list[WeekPoint]
    customer_equity: float
    change_week: float | None
    change_4_weeks: float | None
    drivers: Drivers | None
    segments: list[SegmentRow]
    migrations: list[Migration]
    rises: list[Mover]
    falls: list[Mover]
    model: ModelHealth
    outreach: OutreachOutcome
    dormant: list[DormantRow]
    dormant_total: int


def build_digest(
    session: Session, settings: Settings, *, week_end: date | None, now: datetime
) -> Digest:
    """The digest for `week_end` (None: the newest scored week), from stored aggregates."""
    runs = weekly_runs(session, until=week_end, weeks=TREND_WEEKS)
    if not runs:
        raise NoScoresError()
    run = runs[-1]
    previous = runs[-2] if len(runs) > 1 else None
    four_back = runs[-5] if len(runs) > 4 else None
    changes: dict[str, Any] | None = run.details.get("changes")
    names = _customer_names(session, changes)
    return Digest(
        week_end=run.week_end,
        as_of=run.as_of,
        currency=settings.currency,
        currency_exponent=settings.currency_exponent,
        trend=[_point(r) for r in runs],
        customer_equity=run.customer_equity,
        change_week=run.customer_equity - previous.customer_equity if previous else None,
        change_4_weeks=run.customer_equity - four_back.customer_equity if four_back else None,
        drivers=_drivers(changes, previous),
        segments=_segments(session, run, previous),
        migrations=[
            Migration(m["from"], m["to"], m["customers"])
            for m in (changes or {}).get("migrations", [])[:MIGRATIONS]
        ],
        rises=_movers(changes, "rises", names),
        falls=_movers(changes, "falls", names),
        model=_model(run, stale_for=week_end),
        outreach=outreach_outcomes(session, now=now),
        dormant=_dormant(session, settings, now),
        dormant_total=run.n_dormant,
    )


def _point(run: ScoringRun) -> WeekPoint:
    return WeekPoint(
        run.week_end,
        run.customer_equity,
        run.mean_clv,
        run.n_active,
        run.n_dormant,
        run.revenue_week_minor,
    )


def _drivers(changes: dict[str, Any] | None, previous: ScoringRun | None) -> Drivers | None:
    if not changes or previous is None:
        return None
    if changes.get("previous_week_end") != previous.week_end.isoformat():
        return None  # the run compared itself with another week than the digest does
    return Drivers(
        changes["new_customers"],
        changes["new_customers_clv"],
        changes["went_dormant"],
        changes["went_dormant_change"],
        changes["others_change"],
    )


def _segments(session: Session, run: ScoringRun, previous: ScoringRun | None) -> list[SegmentRow]:
    ids = [r.id for r in (run, previous) if r is not None]
    stats: dict[tuple[int, str], tuple[int, float]] = {}
    for row in session.execute(
        select(run_group_stats_table).where(
            run_group_stats_table.c.run_id.in_(ids), run_group_stats_table.c.dimension == "segment"
        )
    ):
        stats[(row.run_id, row.name)] = (row.customers, row.clv_sum)
    rows = []
    for name in (segment.name for segment in all_segments()):
        now = stats.get((run.id or 0, name))
        if now is None:
            continue
        before = stats.get((previous.id or 0, name), (0, 0.0)) if previous else None
        rows.append(
            SegmentRow(
                name,
                now[0],
                now[1],
                now[0] - before[0] if before is not None else None,
                now[1] - before[1] if before is not None else None,
            )
        )
    return rows


def _customer_names(
    session: Session, changes: dict[str, Any] | None
) -> dict[int, tuple[str, str | None]]:
    if not changes:
        return {}
    ids = {m["customer_id"] for key in ("rises", "falls") for m in changes.get(key, [])}
    if not ids:
        return {}
    c = customers_table
    rows = session.execute(select(c.c.id, c.c.external_id, c.c.name).where(c.c.id.in_(ids)))
    return {row.id: (row.external_id, row.name) for row in rows}


def _movers(
    changes: dict[str, Any] | None, key: str, names: dict[int, tuple[str, str | None]]
) -> list[Mover]:
    movers = []
    for m in (changes or {}).get(key, [])[:MOVERS]:
        external, name = names.get(m["customer_id"], (str(m["customer_id"]), None))
        movers.append(Mover(to_masked_key(external), to_masked_name(name), m["before"], m["after"]))
    return movers


def _model(run: ScoringRun, *, stale_for: date | None) -> ModelHealth:
    details = run.details
    holdout = details.get("holdout") or {}
    warnings = list(details.get("warnings", []))
    if stale_for is not None and run.week_end < stale_for:
        warnings.insert(
            0,
            f"the newest scores are of the week ending {run.week_end}, not "
            f"{stale_for}: scoring has not run since (see `clvbot model`)",
        )
    return ModelHealth(
        name=details.get("transactions_model", {}).get("name", run.model),
        as_of=run.as_of,
        fitted_at=run.finished_at,
        holdout_predicted=holdout.get("predicted_repeat_purchases"),
        holdout_actual=holdout.get("actual_repeat_purchases"),
        holdout_error=holdout.get("relative_error"),
        warnings=warnings,
    )


def _dormant(session: Session, settings: Settings, now: datetime) -> list[DormantRow]:
    ranked = dormant_customers(session, limit=settings.digest_dormant_limit)
    eligibility = outreach_eligibility(
        session, customer_ids=[r.store_id for r in ranked], rules=OutreachRules.of(settings),
        now=now,
    )  # fmt: skip
    rows = []
    for r in ranked:
        verdict = eligibility[r.store_id]
        # the policy's reason says why there is no button; a cooldown is also said with who
        cooldown = verdict.in_cooldown
        rows.append(
            DormantRow(
                customer_id=r.store_id,
                key=to_masked_key(r.customer_id),
                name=to_masked_name(r.name),
                segment=r.segment,
                predicted_clv=r.predicted_clv,
                value_at_stake=r.value_at_stake,
                reason=r.dormant_reason,
                opted_out=r.opted_out,
                eligible=verdict.eligible,
                why_not=verdict.reason,
                contacted_by=verdict.last_by if cooldown else None,
                contacted_on=verdict.last_at.date() if cooldown and verdict.last_at else None,
                next_possible=verdict.next_possible if cooldown else None,
            )
        )
    return rows
