"""A group of customers a report can be limited to: one RFM segment, CLV tier or acquisition
channel. A filtered digest (`/clv subscribe tier Gold`) reads everything through this module,
so its equity, trend, counts and lists are all of the same customers.

Membership is decided where the data is, as the scoring decided it:

- in the current run's scores (the re-engagement list): the row's segment and tier, or the
  customer's channel;
- in a past week (`customer_weekly`, the buyers of that week): the stored segment, the
  customer's channel, and for a tier the tier rule itself (`clv.segments.scores.tier_index`)
  applied to that week's predicted CLVs. Weekly history does not keep tiers; the rule is pure
  in the week's values, so it gives the tier the run gave, and a tier is a band of values.

Prospects (no purchase yet) have no customer equity, no tier and no weekly history: a group
of them is refused where it is named (`find_scope`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
from sqlalchemy import ColumnElement, false, func, or_, select
from sqlmodel import Session

from clv.errors import UserFacingError
from clv.insights.reports import match_name
from clv.insights.runs import RunRef
from clv.insights.suggest import closest
from clv.segments.definitions import CLV_TIERS, PROSPECTS, all_segments
from clv.segments.scores import tier_index
from clv.store.tables import customer_scores_table, customer_weekly_table, customers_table

Dimension = Literal["segment", "tier", "channel"]
DIMENSIONS: tuple[Dimension, ...] = ("segment", "tier", "channel")
weekly, scores, customers = customer_weekly_table, customer_scores_table, customers_table


@dataclass(frozen=True)
class GroupScope:
    """One segment, tier or acquisition channel, by its canonical name."""

    dimension: Dimension
    name: str

    @property
    def label(self) -> str:
        """How a title names the group: "Champions segment", "Gold tier", "email channel"."""
        return f"{self.name} {self.dimension}"


class UnknownScopeError(UserFacingError, LookupError):
    """No segment, tier or channel of that name (or one a digest cannot be of)."""


def segment_names() -> list[str]:
    """The segments a group may be: every segment of buyers (not Prospects)."""
    return [s.name for s in all_segments() if s.name != PROSPECTS.name]


def tier_names() -> list[str]:
    return [t.name for t in CLV_TIERS]


def known_channels(session: Session) -> list[str]:
    """The acquisition channels customers were imported with (from the channel index)."""
    column = customers.c.channel
    rows = session.execute(select(column).where(column.is_not(None)).distinct().order_by(column))
    return [row[0] for row in rows]


def find_scope(dimension: Dimension, name: str, *, channels: Sequence[str]) -> GroupScope:
    """The group `name` of `dimension`, matched as segment names are (case, spaces and
    punctuation do not matter); `channels` are the known acquisition channels."""
    if dimension == "segment" and match_name(name, [PROSPECTS.name]):
        raise UnknownScopeError(
            f"{PROSPECTS.name} have not bought yet: they have no customer equity, weekly "
            "history or re-engagement list, so there is no digest of them"
        )
    names = {"segment": segment_names(), "tier": tier_names(), "channel": list(channels)}[dimension]
    found = match_name(name, names)
    if found is not None:
        return GroupScope(dimension, found)
    what = "acquisition channel" if dimension == "channel" else dimension
    near = closest(name, names, limit=3, cutoff=0.5)
    if near:
        hint = f"did you mean {' or '.join(near)}?"
    elif names:
        hint = f"{what}s: " + ", ".join(names)
    else:
        hint = "no customer was imported with a channel"
    raise UnknownScopeError(f"no {what} called {name!r}; {hint}")


def scores_filter(scope: GroupScope) -> ColumnElement[bool]:
    """The scope over `customer_scores` joined with `customers` (a run's scores)."""
    if scope.dimension == "segment":
        return scores.c.segment == scope.name
    if scope.dimension == "tier":
        return scores.c.tier == scope.name
    return customers.c.channel == scope.name


def dormant_count(session: Session, scope: GroupScope, run: RunRef) -> int:
    """How many of the group are dormant in `run` (the current run's scores)."""
    query = (
        select(func.count())
        .select_from(scores)
        .join(customers, customers.c.id == scores.c.customer_id)
        .where(scores.c.run_id == run.run_id, scores.c.dormant.is_(True), scores_filter(scope))
    )
    return int(session.execute(query).scalar_one())


def weekly_filter(
    session: Session, scope: GroupScope, weeks: Sequence[date]
) -> ColumnElement[bool]:
    """The group's rows of `customer_weekly` in `weeks`, as a condition on that table."""
    in_weeks = weekly.c.week_end.in_(list(weeks))
    if scope.dimension == "segment":
        return in_weeks & (weekly.c.segment == scope.name)
    if scope.dimension == "channel":
        channel = select(customers.c.id).where(customers.c.channel == scope.name)
        return in_weeks & weekly.c.customer_id.in_(channel)
    bands = tier_bands(session, scope.name, weeks)
    if not bands:
        return false()
    return or_(*(
        (weekly.c.week_end == week) & weekly.c.predicted_clv.between(low, high)
        for week, (low, high) in sorted(bands.items())
    ))  # fmt: skip


def tier_bands(
    session: Session, tier: str, weeks: Sequence[date]
) -> dict[date, tuple[float, float]]:
    """For each of `weeks`, the lowest and highest predicted CLV in `tier` that week: the tier
    rule (`tier_index`) applied to the week's buyers as the scoring applied it. Ties share a
    tier and tiers follow the values, so `low <= predicted_clv <= high` is exactly the tier."""
    index = tier_names().index(tier)
    bands: dict[date, tuple[float, float]] = {}
    for week in weeks:
        query = select(weekly.c.predicted_clv).where(weekly.c.week_end == week)
        values = np.fromiter(session.execute(query).scalars(), dtype=np.float64)
        members = values[tier_index(values) == index] if values.size else values
        if members.size:
            bands[week] = (float(members.min()), float(members.max()))
    return bands
