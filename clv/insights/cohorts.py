"""Acquisition cohorts and NPS beside CLV as the readers see them, from the run's reports."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlmodel import Session

from clv.errors import UserFacingError
from clv.insights.reports import load_report
from clv.insights.runs import RunRef, current_ref
from clv.segments.acquisition import PERIODS, Period, nps_score

NPS_DIMENSIONS = ("segment", "tier", "channel")


class UnknownChoiceError(UserFacingError, ValueError):
    def __init__(self, what: str, value: str, choices: tuple[str, ...]) -> None:
        super().__init__(f"{what} {value!r} is not one of {', '.join(choices)}")


@dataclass(frozen=True)
class CohortRow:
    cohort: str  # "2025-06" or "2025-Q2"
    size: int
    customers_with_cac: int
    cac_total: float
    historical_total: float
    predicted_total: float  # the predicted value still to come
    predicted_per_customer: float
    total_clv_with_cac: float
    clv_cac: float | None
    periods: int  # periods since acquisition shown, the newest still under way
    complete_periods: int
    retention: tuple[float, ...]  # share of the cohort buying in period k
    revenue_per_customer: tuple[float, ...]  # cumulative net revenue per customer at k

    def as_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return data | {"retention": list(self.retention),
                       "revenue_per_customer": list(self.revenue_per_customer)}  # fmt: skip


@dataclass(frozen=True)
class CohortComparison:
    """The newest complete cohort against the one before it, at the newest's age."""

    newest: CohortRow
    previous: CohortRow
    period: int  # k: the newest cohort's last complete period

    @property
    def revenue_change(self) -> float:
        k = self.period
        return self.newest.revenue_per_customer[k] - self.previous.revenue_per_customer[k]


@dataclass(frozen=True)
class CohortReport:
    run: RunRef
    period: Period
    cohorts: tuple[CohortRow, ...]  # oldest first
    unplaced: int  # customers with no acquisition date and no purchase

    def comparison(self) -> CohortComparison | None:
        complete = [c for c in self.cohorts if c.complete_periods >= 1]
        if len(complete) < 2:
            return None
        newest, previous = complete[-1], complete[-2]
        return CohortComparison(newest, previous, newest.complete_periods - 1)

    def as_dict(self) -> dict[str, Any]:
        return {"run": self.run.as_dict(), "period": self.period, "unplaced": self.unplaced,
                "cohorts": [c.as_dict() for c in self.cohorts]}  # fmt: skip


def cohort_report(
    session: Session, *, period: str = "month", run: RunRef | None = None
) -> CohortReport:
    if period not in PERIODS:
        raise UnknownChoiceError("cohort period", period, PERIODS)
    ref = run or current_ref(session)
    payload = load_report(session, ref, f"cohorts_{period}", "cohorts")
    names = {f.name for f in fields(CohortRow)}
    rows = []
    for stored in payload["cohorts"]:
        values = {k: v for k, v in stored.items() if k in names}
        values["retention"] = tuple(values["retention"])
        values["revenue_per_customer"] = tuple(values["revenue_per_customer"])
        rows.append(CohortRow(**values))
    return CohortReport(ref, period, tuple(rows), int(payload["unplaced"]))


@dataclass(frozen=True)
class NpsGroup:
    group: str
    customers: int
    respondents: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None  # None: fewer answers than NPS_MIN_RESPONSES
    promoters_clv_mean: float | None  # mean total CLV; None: nobody in the category
    passives_clv_mean: float | None
    detractors_clv_mean: float | None

    @property
    def promoters_to_detractors(self) -> float | None:
        """How many times a detractor's total CLV a promoter's is ("2.4×")."""
        p, d = self.promoters_clv_mean, self.detractors_clv_mean
        return p / d if p is not None and d is not None and d > 0 else None

    def as_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return data | {"promoters_to_detractors": self.promoters_to_detractors}


@dataclass(frozen=True)
class NpsReport:
    run: RunRef
    dimension: str
    min_responses: int
    overall: NpsGroup
    groups: tuple[NpsGroup, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"run": self.run.as_dict(), "dimension": self.dimension,
                "min_responses": self.min_responses, "all": self.overall.as_dict(),
                "groups": [g.as_dict() for g in self.groups]}  # fmt: skip


def _nps_group(stored: dict[str, Any], min_responses: int) -> NpsGroup:
    def mean(key: str) -> float | None:
        n = stored[key]
        return stored[f"{key}_clv_sum"] / n if n else None

    score = nps_score(
        stored["promoters"], stored["detractors"], stored["respondents"], min_responses
    )
    return NpsGroup(
        stored["group"], stored["customers"], stored["respondents"], stored["promoters"],
        stored["passives"], stored["detractors"], score, mean("promoters"), mean("passives"),
        mean("detractors"),
    )  # fmt: skip


def nps_report(
    session: Session, *, by: str = "segment", min_responses: int, run: RunRef | None = None
) -> NpsReport:
    if by not in NPS_DIMENSIONS:
        raise UnknownChoiceError("NPS grouping", by, NPS_DIMENSIONS)
    ref = run or current_ref(session)
    payload = load_report(session, ref, "nps", "NPS")
    groups = tuple(_nps_group(row, min_responses) for row in payload[by])
    return NpsReport(ref, by, min_responses, _nps_group(payload["all"][0], min_responses), groups)
