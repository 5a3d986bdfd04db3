"""The acquisition reports' figures computed again, in plain Python, from the stored rows.

Nothing here calls the scoring or insights code: the store's `customers`, `orders`,
`customer_scores` (the current run's), `customer_weekly` and `scoring_runs` rows are read
with plain SELECTs, and every figure of `clvbot channels`, `funnel`, `cohorts` and `nps` is
summed from them in dicts and loops, following the definitions in words (issue 14):

- the run's customers: everyone, but those acquired after the run's day who had not bought
  by then; the acquisition day is `acquired_at`'s calendar day in TIMEZONE, else the first
  purchase day (a purchase: an order of amount >= 0 on a day its refunds do not cancel);
- total CLV = net revenue to date (refunds included) × gross margin + predicted CLV;
- period k of a cohort (and month k + 1 of a payback) counts from the acquisition period;
  orders before it count in its first period.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from clv.store.tables import (
    customer_scores_table,
    customer_weekly_table,
    customers_table,
    orders_table,
    scoring_runs_table,
)

NO_CHANNEL = "(no channel)"
ALL = "all customers"
TARGET = 3.0  # CLV_CAC_TARGET's default
PROMOTER, PASSIVE = 9, 7  # 9-10 promoters, 7-8 passives, 0-6 detractors
MIN_RESPONSES = 30  # NPS_MIN_RESPONSES' default
LOYAL = "loyal"
COMPARE_DAYS = 28


def as_day(value: Any) -> date:
    """A DATE column's value (SQLite may hand back the ISO text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class Run:
    run_id: int
    as_of: date
    kind: str
    customer_equity: float


@dataclass(frozen=True)
class Stored:
    """The rows the figures are computed from."""

    # (store id, external id, channel, CAC in minor units, NPS answer, acquired_at)
    customers: list[tuple[int, str, str | None, int | None, int | None, datetime | None]]
    orders: dict[int, list[tuple[date, int]]]  # every order of a customer: (day, amount)
    scores: dict[int, dict[str, Any]]  # the current run's customer_scores rows
    weekly: dict[date, dict[int, float]]  # week end -> customer -> predicted CLV
    runs: list[Run]  # the complete runs, oldest first

    @property
    def current(self) -> Run:
        return [run for run in self.runs if run.kind == "full"][-1]

    def run_before(self, run: Run, days: int = COMPARE_DAYS) -> Run | None:
        """The newest complete run at least `days` before `run`."""
        older = [r for r in self.runs if r.as_of <= run.as_of - timedelta(days=days)]
        return older[-1] if older else None


def read_store(engine: Engine) -> Stored:
    c, o, s, w = (t.c for t in (customers_table, orders_table, customer_scores_table,
                                customer_weekly_table))  # fmt: skip
    r = scoring_runs_table.c
    with engine.connect() as connection:
        customers = [
            (int(i), key, ch, cac, nps, at)
            for i, key, ch, cac, nps, at in connection.execute(
                select(
                    c.id, c.external_id, c.channel, c.acquisition_cost_minor, c.nps, c.acquired_at
                )
            )
        ]
        orders: dict[int, list[tuple[date, int]]] = defaultdict(list)
        for cid, day, amount in connection.execute(
            select(o.customer_id, o.ordered_on, o.amount_minor)
        ):
            orders[int(cid)].append((as_day(day), int(amount)))
        runs = [
            Run(int(i), as_day(day), kind, float(equity))
            for i, day, kind, equity in connection.execute(
                select(r.id, r.as_of, r.kind, r.customer_equity)
                .where(r.status == "complete")
                .order_by(r.as_of, r.id)
            )
        ]
        current = [run for run in runs if run.kind == "full"][-1].run_id
        scores = {
            int(row["customer_id"]): dict(row)
            for row in connection.execute(select(s).where(s.run_id == current)).mappings()
        }
        weekly: dict[date, dict[int, float]] = defaultdict(dict)
        for day, cid, value in connection.execute(
            select(w.week_end, w.customer_id, w.predicted_clv)
        ):
            weekly[as_day(day)][int(cid)] = float(value)
    return Stored(customers, dict(orders), scores, dict(weekly), runs)


@dataclass(frozen=True)
class Person:
    """One customer of a run, with what the reports sum."""

    cid: int
    key: str  # the external id
    channel: str
    cac_minor: int | None
    nps: int | None
    acquired: date | None  # acquired_at's day in TIMEZONE
    first: date | None  # first purchase day on or before the run's day
    purchase_days: int
    historical_minor: int  # net revenue to date
    predicted: float
    total: float
    net_by_month: dict[int, int]  # calendar month (see `month_index`) -> net revenue
    bought_months: frozenset[int]  # the months with a purchase
    score: dict[str, Any]  # the customer's customer_scores row ({} for a past run)

    @property
    def start(self) -> date | None:
        """The acquisition day: acquired_at's, else the first purchase's."""
        return self.acquired if self.acquired is not None else self.first


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def quarter_index(day: date) -> int:
    return day.year * 4 + (day.month - 1) // 3


def purchase_days(orders: Iterable[tuple[date, int]]) -> list[date]:
    """The days with an order of amount >= 0, but for a day whose refunds cancel all of it."""
    by_day: dict[date, list[int]] = defaultdict(list)
    for day, amount in orders:
        by_day[day].append(amount)
    days = []
    for day, amounts in by_day.items():
        if any(a < 0 for a in amounts) and sum(amounts) <= 0:
            continue
        if any(a >= 0 for a in amounts):
            days.append(day)
    return sorted(days)


def people_at(
    stored: Stored,
    as_of: date,
    *,
    zone: ZoneInfo,
    margin: float,
    predicted: dict[int, float],
    scores: dict[int, dict[str, Any]] | None = None,
) -> list[Person]:
    """The customers of a run as of `as_of` whose predicted CLVs are `predicted`."""
    people = []
    for cid, key, channel, cac, nps, acquired_at in stored.customers:
        orders = [(day, amount) for day, amount in stored.orders.get(cid, []) if day <= as_of]
        days = purchase_days(orders)
        first = days[0] if days else None
        acquired = acquired_at.astimezone(zone).date() if acquired_at is not None else None
        if first is None and acquired is not None and acquired > as_of:
            continue  # not yet a customer of this run
        if acquired is not None and acquired > as_of:
            acquired = None  # a buyer "acquired" after the run's day: acquired by the purchase
        net: dict[int, int] = defaultdict(int)
        for day, amount in orders:
            net[month_index(day)] += amount
        historical = sum(amount for _, amount in orders)
        value = predicted.get(cid, 0.0)
        people.append(
            Person(
                cid, key, (channel or "").strip() or NO_CHANNEL, cac, nps, acquired, first,
                len(days), historical, value, historical / 100 * margin + value, dict(net),
                frozenset(month_index(day) for day in days), (scores or {}).get(cid, {}),
            )
        )  # fmt: skip
    return people


def group_by(people: Iterable[Person], key: Callable[[Person], Any]) -> dict[Any, list[Person]]:
    groups: dict[Any, list[Person]] = defaultdict(list)
    for p in people:
        label = key(p)
        if label is not None:
            groups[label].append(p)
    return groups


def channel_order(names: Iterable[str]) -> list[str]:
    """The named channels alphabetically, "(no channel)" last."""
    named = sorted(name for name in names if name != NO_CHANNEL)
    return named + ([NO_CHANNEL] if NO_CHANNEL in names else [])


# --- channels -------------------------------------------------------------------------------
def band(ratio: float | None) -> str | None:
    if ratio is None:
        return None
    if ratio < 1.0:
        return "losing money"
    return "below target" if ratio < TARGET else "healthy"


def payback_months(with_cac: list[Person], cac_total: float, margin: float) -> int | None:
    """The first month since acquisition (1: the acquisition month) whose cumulative margin
    of `with_cac` reaches `cac_total`."""
    if cac_total <= 0:
        return None
    by_month: dict[int, float] = defaultdict(float)
    for p in with_cac:
        if p.start is None:
            continue
        start = month_index(p.start)
        for month, net in p.net_by_month.items():
            by_month[max(month - start, 0)] += net / 100 * margin
    cumulative = 0.0
    for k in range(max(by_month, default=-1) + 1):
        cumulative += by_month.get(k, 0.0)
        if cumulative >= cac_total:
            return k + 1
    return None


def channel_row(name: str, members: list[Person], margin: float, equity: float) -> dict[str, Any]:
    with_cac = [p for p in members if p.cac_minor is not None]
    cac_total = sum(p.cac_minor or 0 for p in with_cac) / 100
    total = sum((p.total for p in members), 0.0)
    total_with = sum((p.total for p in with_cac), 0.0)
    predicted = sum((p.predicted for p in members), 0.0)
    mean = total / len(members)
    ratio = total_with / cac_total if cac_total > 0 else None
    return {
        "channel": name,
        "customers": len(members),
        "customers_with_cac": len(with_cac),
        "customers_without_cac": len(members) - len(with_cac),
        "buyers": sum(p.first is not None for p in members),
        "cac_total": cac_total,
        "cac_mean": cac_total / len(with_cac) if with_cac else None,
        "historical_total": sum(p.historical_minor for p in members) / 100,
        "predicted_total": predicted,
        "total_clv_total": total,
        "total_clv_with_cac": total_with,
        "total_clv_mean": mean,
        "clv_cac": ratio,
        "payback_months": payback_months(with_cac, cac_total, margin),
        "affordable_cac": mean / TARGET,
        "equity_share": predicted / equity if equity else None,
        "band": band(ratio),
    }


def channel_rows(people: list[Person], margin: float) -> list[dict[str, Any]]:
    """By CLV:CAC, highest first; those without a ratio last, the larger first."""
    equity = sum((p.predicted for p in people), 0.0)
    groups = group_by(people, lambda p: p.channel)
    rows = [channel_row(name, members, margin, equity) for name, members in groups.items()]
    rows.sort(key=lambda r: (r["clv_cac"] is None, -(r["clv_cac"] or 0.0), -r["customers"]))
    return rows


def with_changes(
    rows: list[dict[str, Any]], old_rows: list[dict[str, Any]] | None, since: date | None
) -> list[dict[str, Any]]:
    """`rows` with each channel's change since the run four weeks back (`old_rows`)."""
    before = {r["channel"]: r for r in old_rows or []}
    changed = []
    for row in rows:
        old = before.get(row["channel"])
        change = None
        if old is not None and since is not None:
            ratio = None
            if row["clv_cac"] is not None and old["clv_cac"] is not None:
                ratio = row["clv_cac"] - old["clv_cac"]
            change = {
                "since": since.isoformat(),
                "customers": row["customers"] - old["customers"],
                "predicted_total": row["predicted_total"] - old["predicted_total"],
                "clv_cac": ratio,
            }
        changed.append(row | {"change_4_weeks": change})
    return changed


# --- funnel ---------------------------------------------------------------------------------
def funnel_row(group: str, members: list[Person]) -> dict[str, Any]:
    n = len(members)
    converted = [p for p in members if p.first is not None]
    counts = {
        "converted": len(converted),
        "retained": sum(p.score["frequency"] > 0 for p in converted),
        "loyal": sum(p.score["stage"] == LOYAL for p in members),
        "dormant": sum(bool(p.score["dormant"]) for p in members),
    }
    waits = [max((p.first - p.acquired).days, 0) for p in converted if p.first and p.acquired]
    row: dict[str, Any] = {"group": group, "acquired": n, "prospects": n - len(converted)}
    for key, value in counts.items():
        row[key] = value
        row[f"{key}_share"] = value / n
    row["timed"] = len(waits)
    row["median_days_to_first_order"] = float(statistics.median(waits)) if waits else None
    return row


def month_label(index: int) -> str:
    return f"{index // 12}-{index % 12 + 1:02d}"


def quarter_label(index: int) -> str:
    return f"{index // 4}-Q{index % 4 + 1}"


PERIODS = {"month": (month_index, month_label, 1), "quarter": (quarter_index, quarter_label, 3)}


def cohorts_of(people: list[Person], period: str) -> list[tuple[int, list[Person]]]:
    """(period index, members) of each acquisition cohort, oldest first."""
    index = PERIODS[period][0]
    groups = group_by(people, lambda p: None if p.start is None else index(p.start))
    return sorted(groups.items())


def funnel(people: list[Person]) -> dict[str, list[dict[str, Any]]]:
    channels = group_by(people, lambda p: p.channel)
    report = {
        "all": [funnel_row(ALL, people)],
        "channels": [funnel_row(name, channels[name]) for name in channel_order(channels)],
    }
    for period, (_, label, _) in PERIODS.items():
        report[f"cohorts_{period}"] = [
            funnel_row(label(start), members) for start, members in cohorts_of(people, period)
        ]
    return report


# --- cohorts --------------------------------------------------------------------------------
def cohort_row(
    label: str, start: int, members: list[Person], *, now: int, step: int
) -> dict[str, Any]:
    n, periods = len(members), now - start + 1
    revenue, buyers = [0] * periods, [0] * periods
    for p in members:
        for month, net in p.net_by_month.items():
            revenue[max(month // step - start, 0)] += net
        for k in {max(month // step - start, 0) for month in p.bought_months}:
            buyers[k] += 1
    with_cac = [p for p in members if p.cac_minor is not None]
    cac_total = sum(p.cac_minor or 0 for p in with_cac) / 100
    total_with = sum((p.total for p in with_cac), 0.0)
    predicted = sum((p.predicted for p in members), 0.0)
    cumulative = [sum(revenue[: k + 1]) / 100 for k in range(periods)]
    return {
        "cohort": label,
        "size": n,
        "customers_with_cac": len(with_cac),
        "cac_total": cac_total,
        "historical_total": sum(p.historical_minor for p in members) / 100,
        "predicted_total": predicted,
        "predicted_per_customer": predicted / n,
        "total_clv_with_cac": total_with,
        "clv_cac": total_with / cac_total if cac_total > 0 else None,
        "periods": periods,
        "complete_periods": periods - 1,
        "retention": [b / n for b in buyers],
        "revenue_per_customer": [value / n for value in cumulative],
    }


def cohorts(people: list[Person], period: str, as_of: date) -> dict[str, Any]:
    index, label, step = PERIODS[period]
    rows = [
        cohort_row(label(start), start, members, now=index(as_of), step=step)
        for start, members in cohorts_of(people, period)
    ]
    unplaced = sum(p.start is None for p in people)
    return {"period": period, "unplaced": unplaced, "cohorts": rows}


# --- NPS ------------------------------------------------------------------------------------
def nps_row(group: str, members: list[Person], minimum: int = MIN_RESPONSES) -> dict[str, Any]:
    answered = [p for p in members if p.nps is not None]
    categories = {
        "promoters": [p for p in answered if p.nps is not None and p.nps >= PROMOTER],
        "passives": [p for p in answered if p.nps is not None and PASSIVE <= p.nps < PROMOTER],
        "detractors": [p for p in answered if p.nps is not None and p.nps < PASSIVE],
    }
    row: dict[str, Any] = {"group": group, "customers": len(members),
                           "respondents": len(answered)}  # fmt: skip
    for key, chosen in categories.items():
        row[key] = len(chosen)
        row[f"{key}_clv_mean"] = (
            sum((p.total for p in chosen), 0.0) / len(chosen) if chosen else None
        )
    enough = len(answered) >= minimum
    row["nps"] = 100 * (row["promoters"] - row["detractors"]) / len(answered) if enough else None
    p, d = row["promoters_clv_mean"], row["detractors_clv_mean"]
    row["promoters_to_detractors"] = p / d if p is not None and d is not None and d > 0 else None
    return row


def nps(people: list[Person], by: str, order: list[str]) -> dict[str, Any]:
    """The NPS of every group of dimension `by` (in `order`; a label not in it is left out)."""
    if by == "channel":
        groups = group_by(people, lambda p: p.channel)
    else:
        groups = group_by(people, lambda p: p.score[by])
    return {
        "dimension": by,
        "min_responses": MIN_RESPONSES,
        "all": nps_row(ALL, people),
        "groups": [nps_row(name, groups[name]) for name in order if name in groups],
    }
