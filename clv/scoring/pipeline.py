"""`clvbot score`: build summaries, fit, score, classify and store one complete run atomically.

Readers always see the newest complete *full* run (the one whose customers' scores are
stored); backfill runs add past weeks to the history and never replace it. Each run is stored
under its own day and becomes its calendar week's history point (`clv.scoring.history`). A
run records itself `running` when it starts, writes everything in one transaction and marks
itself complete at the end of it, so until it commits readers see the previous run; a run
that fails writes nothing but turning its row `failed` with the reason. One `score` call
runs at a time per store (see `clv.scoring.lock`); the next one marks the runs of a call that
died `interrupted`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, func, select

from clv.errors import UserFacingError
from clv.scoring.cadence import cadence
from clv.scoring.changes import WeekScores, read_week, week_changes
from clv.scoring.details import ModelReport, RunDetails, RunSettings
from clv.scoring.fitting import CANDIDATES
from clv.scoring.history import previous_point, take_week_point
from clv.scoring.holdout import holdout_period
from clv.scoring.lock import LockBusyError, scoring_lock
from clv.scoring.memory import one_malloc_arena
from clv.scoring.modelrun import RunModel, choose_run_model, history_days
from clv.scoring.partitions import drop_old_partitions
from clv.scoring.predict import Predictions, model_report, predict
from clv.scoring.records import EquityRange, WeekChanges
from clv.scoring.reports import acquisition_reports
from clv.scoring.score_rows import score_columns
from clv.scoring.stage import staged_scores
from clv.scoring.stages import StageClock
from clv.scoring.store import (
    record_failure,
    record_interrupted,
    running_run,
    start_run,
    write_run_rows,
)
from clv.scoring.summary import CustomerSummary, SummaryPair, build_summaries, to_day
from clv.scoring.weeks import previous_week_ends
from clv.segments.classify import Classes, classify
from clv.segments.definitions import total_clv
from clv.segments.predictions import (
    AUTO,
    DEFAULT_MIN_CUSTOMERS,
    DEFAULT_MIN_HISTORY_DAYS,
    MODEL_TITLES,
    spend_correlation_warning,
)
from clv.settings import Settings
from clv.store.tables import orders_table
from clv.valuation import (
    DEFAULT_LIFESPAN_YEARS,
    clv_to_cac,
    formula_clv,
    lifespan_from_churn,
)

log = logging.getLogger("clvbot.scoring")


class ScoringError(UserFacingError, RuntimeError):
    """A scoring run failed; nothing was changed but the record of the failure."""


class ScoringInProgressError(ScoringError):
    """Another scoring run holds the store; nothing was run and nothing recorded."""


@dataclass(frozen=True)
class RunResult:
    run_id: int
    as_of: date
    model: str
    n_customers: int
    customer_equity: float
    warnings: list[str]
    seconds: float
    equity_range: EquityRange | None = None
    chosen_by_auto: bool = False


def score(
    engine: Engine,
    settings: Settings,
    *,
    as_of: date,
    model: str | None = None,
    backfill: int = 0,
    now: datetime | None = None,
    wait_seconds: float = 0.0,
) -> list[RunResult]:
    """Score as of each of the last `backfill` week ends, then as of `as_of` (the current run).

    While another call runs on the same store, wait for it up to `wait_seconds`, then raise
    ScoringInProgressError.
    """
    name = model or settings.clv_model
    if name not in (AUTO, *CANDIDATES):
        raise ScoringError(f"unknown model {name!r} (choose from {', '.join((AUTO, *CANDIDATES))})")
    runs = [(day, "backfill") for day in previous_week_ends(as_of, backfill)]
    runs.append((as_of, "full"))
    one_malloc_arena()  # clv.scoring.memory: the peak is what the run holds, not what it freed
    try:
        with scoring_lock(engine, wait_seconds=wait_seconds):
            if interrupted := record_interrupted(engine):
                log.warning(
                    "recorded %d run(s) of a scoring process that died as interrupted", interrupted
                )
            results = [
                _score_one(engine, settings, as_of=day, model=name, kind=kind, now=now)
                for day, kind in runs
            ]
    except LockBusyError:
        raise _in_progress(engine, wait_seconds) from None
    return results


def _in_progress(engine: Engine, wait_seconds: float) -> ScoringInProgressError:
    running = running_run(engine)
    if running is None:  # the other run holds the lock but has not recorded itself yet
        message = "a scoring run is in progress (it is just starting)"
    else:
        started, day = running
        message = (
            f"a scoring run is in progress since {started.astimezone(UTC):%Y-%m-%d %H:%M:%S} "
            f"UTC (as of {day})"
        )
    if wait_seconds > 0:
        message += f"; waited {wait_seconds:g} s"
    return ScoringInProgressError(message)


def _score_one(
    engine: Engine,
    settings: Settings,
    *,
    as_of: date,
    model: str,
    kind: str,
    now: datetime | None,
) -> RunResult:
    started = now or datetime.now(UTC)
    began = datetime.now(UTC)
    # stored under its own day: a run as of a Tuesday is never "the week ending Sunday"
    run_id = start_run(
        engine, as_of=as_of, week_end=as_of, model=model, kind=kind, started_at=started
    )
    clock = StageClock()
    try:
        pair, future_holdout = _summaries(engine, as_of, clock)
        summary = pair.at_cutoff if future_holdout else pair.at_end
        if not summary.buyers.any():
            raise ScoringError(
                f"no customer has a purchase on or before {as_of}: import orders first"
            )
        chosen, predictions = _fit_and_predict(
            settings, model, summary, pair, future_holdout, clock
        )
        details = _details(settings, summary, pair, predictions, chosen)
        with clock.stage("classify"):
            values = _per_customer(settings, summary, pair, predictions, future_holdout)
        with clock.stage("changes"):
            changes = _changes_since_last_week(engine, as_of, summary, values)
        details = replace(details, lifespan_years=values["lifespan_years"], changes=changes)
        with clock.stage("reports"):
            reports = acquisition_reports(settings, summary, pair, values)
        _write(engine, settings, run_id, kind, pair, summary, values, details, future_holdout,
               reports, clock)  # fmt: skip
    except Exception as exc:
        reason = str(exc) if isinstance(exc, ScoringError) else f"{type(exc).__name__}: {exc}"
        record_failure(engine, run_id=run_id, reason=reason)
        raise ScoringError(f"scoring as of {as_of} failed: {reason}") from exc
    clv = values["predicted_clv"]
    return RunResult(
        run_id,
        as_of,
        _stored_model(chosen),
        len(summary),
        float(np.nansum(clv)),
        list(details.warnings),
        (datetime.now(UTC) - began).total_seconds(),
        details.equity_range,
        details.selected_by == "auto",
    )


def _fit_and_predict(
    settings: Settings,
    model: str,
    summary: CustomerSummary,
    pair: SummaryPair,
    future_holdout: bool,
    clock: StageClock,
) -> tuple[RunModel, Predictions]:
    """The purchase model the run predicts with (clv.scoring.modelrun), and its predictions."""
    with clock.stage("fit"):
        chosen = choose_run_model(
            model,
            summary,
            pair,
            future_holdout=future_holdout,
            floor=settings.prediction_floor,
            level=settings.clv_interval,
        )
    with clock.stage("predict"):
        predictions = predict(
            summary,
            chosen.fit,
            exponent=settings.currency_exponent,
            months=settings.clv_horizon_months,
            monthly_discount_rate=settings.monthly_discount_rate,
            gross_margin=settings.gross_margin,
            level=settings.clv_interval,
        )
    return chosen, predictions  # fmt: skip


def _write(
    engine: Engine,
    settings: Settings,
    run_id: int,
    kind: str,
    pair: SummaryPair,
    summary: CustomerSummary,
    values: dict[str, Any],
    details: RunDetails,
    future_holdout: bool,
    reports: dict[str, dict[str, Any]],
    clock: StageClock,
) -> None:
    """The run's results in one transaction: it becomes its week's point, under its own day."""
    as_of = summary.as_of
    full = kind == "full"
    with (
        engine.connect() as connection,
        staged_scores(engine, connection, run_id,
                      lambda: score_columns(run_id, summary, values), clock,
                      when=full),
        connection.begin(),
    ):  # fmt: skip
        with clock.stage("week_point"):
            take_week_point(connection, run_id=run_id, as_of=as_of)
        write_run_rows(
            connection,
            run_id=run_id,
            week_end=as_of,
            summary=summary,
            values=values,
            details=details,
            revenue_week_minor=_week_revenue(connection, pair, as_of, future_holdout),
            model=_stored_model_of(details),
            write_customers=full,
            history_weeks=settings.history_weeks,
            reports=reports,
            clock=clock,
        )
        written = time.perf_counter()
    clock.add("commit", time.perf_counter() - written)  # logged only: the details are stored
    if full:
        with clock.stage("old_scores_dropped"):  # logged only, as the commit
            drop_old_partitions(engine)


def _changes_since_last_week(
    engine: Engine, as_of: date, summary: CustomerSummary, values: dict[str, Any]
) -> WeekChanges | None:
    """Drivers, movers and migrations against the previous calendar week's stored point
    (None: no such point)."""
    with engine.connect() as connection:
        previous = previous_point(connection, as_of)
        before = None if previous is None else read_week(connection, previous)
    if previous is None or before is None:
        return None
    buyers = summary.buyers
    classes: Classes = values["classes"]
    after = WeekScores.of(
        summary.customer_id[buyers],
        values["predicted_clv"][buyers],
        classes.segment[buyers],
        classes.dormant[buyers],
    )
    return week_changes(before, after, previous_week_end=previous)


def _summaries(engine: Engine, as_of: date, clock: StageClock) -> tuple[SummaryPair, bool]:
    """The summaries for a run, and whether the holdout is the real period after `as_of`."""
    with clock.stage("order_span"), engine.connect() as connection:
        # two subqueries: SQLite reads a lone min() or max() off the index, both at once
        # scan the whole index
        day = orders_table.c.ordered_on
        first, last = connection.execute(
            select(select(func.min(day)).scalar_subquery(), select(func.max(day)).scalar_subquery())
        ).one()
    first, last = (date.fromisoformat(d) if isinstance(d, str) else d for d in (first, last))
    period = holdout_period(as_of, first, last)
    # orders after as_of are the holdout (the calibration/holdout split of Fader, Hardie &
    # Lee 2005); either way everything else is computed as of as_of
    pair = build_summaries(
        engine, end=period.holdout_end, cutoff=period.calibration_end, full_at=as_of, clock=clock
    )
    return pair, period.after_as_of


def _per_customer(
    settings: Settings,
    summary: CustomerSummary,
    pair: SummaryPair,
    predictions: Predictions,
    future_holdout: bool,
) -> dict[str, Any]:
    n = len(summary)
    buyers = summary.buyers
    scale = 10.0**settings.currency_exponent

    def spread(values: np.ndarray[Any, Any], fill: float) -> np.ndarray[Any, Any]:
        out = np.full(n, fill, dtype=np.float64)
        out[buyers] = values
        return out

    clv = spread(predictions.clv, 0.0)
    p_alive = spread(predictions.p_alive, np.nan)
    aov = np.divide(
        summary.bought_minor / scale,
        summary.orders,
        out=np.full(n, np.nan),
        where=summary.orders > 0,
    )
    lifespan = _lifespan(settings, pair, future_holdout)
    formula = np.where(
        buyers,
        formula_clv(
            np.nan_to_num(aov),
            summary.orders.astype(np.float64),
            summary.T,
            lifespan_years=lifespan,
            gross_margin=settings.gross_margin,
        ),
        0.0,
    )
    classes: Classes = classify(
        buyers=buyers,
        days_since_last=summary.days_since_last,
        frequency=summary.frequency,
        historical=summary.historical_minor.astype(np.float64),
        predicted_clv=clv if predictions.transaction_model is not None else formula,
        p_alive=p_alive,
        dormant_p_alive=settings.dormant_p_alive,
        dormant_max_days=settings.dormant_max_days,
    )
    total = total_clv(summary.historical_minor / scale, clv, settings.gross_margin)
    return _ranges_and_cadence(summary, predictions, classes) | {
        "predicted_clv": clv,
        "formula_clv": formula,
        "p_alive": p_alive,
        "expected_purchases_90d": spread(predictions.expected_90d, 0.0),
        "expected_spend": spread(predictions.expected_spend, 0.0),
        "aov": aov,
        "monetary": summary.monetary_minor / scale,
        "clv_cac": clv_to_cac(total, summary.acquisition_cost_minor / scale),
        "classes": classes,
        "lifespan_years": lifespan,
    }


def _ranges_and_cadence(
    summary: CustomerSummary, predictions: Predictions, classes: Classes
) -> dict[str, Any]:
    """The ranges and the cadence per customer (NaN, or None for dates, where there is
    none: prospects, one-time buyers' cadence, runs without a purchase model)."""
    n, buyers = len(summary), summary.buyers

    def spread(values: np.ndarray[Any, Any] | None) -> np.ndarray[Any, Any]:
        out = np.full(n, np.nan)
        if values is not None:
            out[buyers] = values
        return out

    ranges = predictions.ranges
    x = summary.frequency[buyers].astype(np.float64)
    paces = cadence(predictions.transaction_model, x, summary.recency[buyers],
                    summary.T[buyers], classes.dormant[buyers])  # fmt: skip
    overdue = np.zeros(n, dtype=bool)
    overdue[buyers] = paces.overdue
    return {
        "clv_low": spread(None if ranges is None else ranges.clv_low),
        "clv_high": spread(None if ranges is None else ranges.clv_high),
        "expected_purchases_horizon": spread(None if ranges is None else ranges.expected_horizon),
        "purchases_low": spread(None if ranges is None else ranges.purchases_low),
        "purchases_high": spread(None if ranges is None else ranges.purchases_high),
        "order_gap_days": spread(paces.gap_days),
        "next_order_in_days": spread(paces.next_in_days),
        "overdue": overdue,
    }


def _lifespan(settings: Settings, pair: SummaryPair, future_holdout: bool) -> float:
    if settings.clv_lifespan_years is not None:
        return settings.clv_lifespan_years
    if future_holdout:
        return DEFAULT_LIFESPAN_YEARS
    derived = lifespan_from_churn(pair.active_year_before, pair.retained_last_year)
    first = pair.first_order_day
    enough = first is not None and to_day(pair.at_end.as_of) - first >= 730
    return derived if (derived is not None and enough) else DEFAULT_LIFESPAN_YEARS


NO_MODEL = "none"  # the run's model when it predicted with none (below the floor, no fit)


def _stored_model_of(details: RunDetails) -> str:
    """The run's `model` column: the purchase model it predicted with, or "none"."""
    key = details.transactions_model.key
    return key if key is not None and details.transactions_model.fitted else NO_MODEL


def _stored_model(chosen: RunModel) -> str:
    return chosen.fit.used or NO_MODEL


def _details(
    settings: Settings,
    summary: CustomerSummary,
    pair: SummaryPair,
    predictions: Predictions,
    chosen: RunModel,
) -> RunDetails:
    """The run's record (without `changes` and `lifespan_years`, added once they are known)."""
    warnings = _data_warnings(summary, pair, predictions, chosen)
    fit = chosen.fit
    if chosen.withheld:
        title = "no purchase model yet"  # below the data floor: nothing was fitted
    else:
        title = fit.title if fit.used else MODEL_TITLES.get(fit.requested, "CLV_MODEL=auto")
    reports = (model_report(predictions.transaction_model, title),
               model_report(predictions.spend_model, "Gamma-Gamma"))  # fmt: skip
    ranges = predictions.ranges
    return RunDetails(
        transactions_model=replace(
            ModelReport.from_json(reports[0]),
            key=_stored_model(chosen),
            n_customers=int(summary.buyers.sum()),
        ),
        spend_model=ModelReport.from_json(reports[1]),
        holdout=chosen.holdout,
        warnings=tuple(warnings),
        settings=_run_settings(settings),
        comparison=chosen.comparison,
        selected_by="auto" if chosen.comparison else "setting",
        requested_model=fit.requested,
        fit_steps=fit.steps,
        equity_range=None if ranges is None else ranges.equity,
        interval_level=settings.clv_interval,
        withheld=chosen.withheld,
        spend_correlation=predictions.spend_correlation,
    )


def _thin_data(summary: CustomerSummary, pair: SummaryPair) -> list[str]:
    buyers, days = int(summary.buyers.sum()), history_days(summary, pair)
    warnings = []
    if buyers < DEFAULT_MIN_CUSTOMERS:
        warnings.append(
            f"only {buyers} customers with purchases (fewer than {DEFAULT_MIN_CUSTOMERS}): "
            "model estimates are uncertain"
        )
    if days < DEFAULT_MIN_HISTORY_DAYS:
        warnings.append(f"only {days} days of order history (less than {DEFAULT_MIN_HISTORY_DAYS})")
    return warnings


def _run_settings(settings: Settings) -> RunSettings:
    return RunSettings(
        horizon_months=settings.clv_horizon_months,
        annual_discount_rate=settings.clv_annual_discount_rate,
        gross_margin=settings.gross_margin,
        dormant_p_alive=settings.dormant_p_alive,
        dormant_max_days=settings.dormant_max_days,
        currency=settings.currency,
        clv_cac_target=settings.clv_cac_target,
    )


def _data_warnings(
    summary: CustomerSummary, pair: SummaryPair, predictions: Predictions, chosen: RunModel
) -> list[str]:
    """The fallbacks taken, why there is no prediction or no check, and the data's doubts."""
    warnings = [] if chosen.withheld is None else [f"no predictions: {chosen.withheld}"]
    warnings += list(predictions.warnings)
    if chosen.holdout_note:
        warnings.append(chosen.holdout_note)
    if chosen.withheld is None:  # predicting below the usual floor (PREDICT_MIN_* lowered)
        warnings += _thin_data(summary, pair)
    if (said := spend_correlation_warning(predictions.spend_correlation)) is not None:
        warnings.append(said)
    return warnings


def _week_revenue(
    connection: Connection, pair: SummaryPair, as_of: date, future_holdout: bool
) -> int:
    if not future_holdout:
        return pair.revenue_last_week_minor
    query = select(func.coalesce(func.sum(orders_table.c.amount_minor), 0)).where(
        orders_table.c.ordered_on > as_of - timedelta(days=7), orders_table.c.ordered_on <= as_of
    )
    return int(connection.execute(query).scalar_one())
