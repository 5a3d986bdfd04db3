"""A run's stored details: typed, versioned, and runs stored before they were typed still read."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session

from clv.insights import model_status
from clv.scoring.details import VERSION, DetailsError, RunDetails
from clv.scoring.records import holdout_sentence
from clv.settings import Settings
from clv.store.tables import scoring_runs_table
from reports.digest.data import build_digest
from reports.digest.render import render_text
from tests.reports.conftest import MONDAY_9AM, build_small_shop

# exactly as the pipeline stored a run's details before they were typed (no "version"): the
# CDNOW sample scored as of 1998-06-30 (run 3 of `score --as-of 1998-06-30 --backfill 2`),
# with two of its eight frequency buckets and one of each mover kept
STORED_BEFORE_VERSIONS: dict[str, Any] = json.loads("""{
 "time_unit": "days",
 "transactions_model": {"name": "MBG/NBD", "fitted": true,
  "params": {"r": 0.6178437647986409, "alpha": 60.59873130061917, "a": 0.5515248615412562,
             "b": 1.009058072161203},
  "standard_errors": {"r": 0.09051457046475593, "alpha": 6.805737340500798,
                      "a": 0.057788715328146695, "b": 0.222563144152569},
  "log_likelihood": -25570.677392260957, "key": "mbgnbd", "n_customers": 2357},
 "spend_model": {"name": "Gamma-Gamma", "fitted": true,
  "params": {"p": 4.6834529671373435, "q": 4.189783313822966, "v": 24.39055586963291},
  "standard_errors": {"p": 0.6854281352037473, "q": 0.2952773691982574, "v": 5.235811847806464},
  "log_likelihood": -4884.566320733564},
 "holdout": {"calibration_end": "1998-03-31", "holdout_end": "1998-06-30", "holdout_days": 91,
  "customers": 2357, "predicted_repeat_purchases": 607.8925353608104,
  "actual_repeat_purchases": 495.0, "relative_error": 0.2280657280016371,
  "mean_absolute_error": 0.2721925857507845,
  "by_frequency": [{"frequency": "0", "customers": 1252, "predicted": 49.82667480896423,
                    "actual": 46.0},
                   {"frequency": "7+", "customers": 133, "predicted": 255.47375391526623,
                    "actual": 197.0}],
  "fitted_on": 2357},
 "warnings": [],
 "settings": {"horizon_months": 12, "annual_discount_rate": 0.1, "gross_margin": 1.0,
              "dormant_p_alive": 0.3, "dormant_max_days": 180, "currency": "USD"},
 "changes": {"previous_week_end": "1998-06-28", "new_customers": 0, "new_customers_clv": 0.0,
  "went_dormant": 2, "went_dormant_change": -1.1820632893486547,
  "others_change": -675.8875118549397,
  "rises": [{"customer_id": 1975, "before": 48.981570850883394, "after": 151.3249706221894}],
  "falls": [{"customer_id": 177, "before": 375.3907878770073, "after": 361.29581954487594}],
  "migrations": [{"from": "Potential Loyalists", "to": "Champions", "customers": 2}]},
 "lifespan_years": 3.0
}""")

# a run whose purchase model could not be fitted, as stored then: no holdout, a NaN standard
# error stored as null, no week to compare with
UNFITTED_BEFORE_VERSIONS: dict[str, Any] = {
    "time_unit": "days",
    "transactions_model": {"name": "MBG/NBD", "fitted": False, "key": "mbgnbd", "n_customers": 3},
    "spend_model": {"name": "Gamma-Gamma", "fitted": True, "params": {"p": 1.0, "q": 2.0, "v": 3.0},
                    "standard_errors": {"p": None, "q": 0.5, "v": 0.5}, "log_likelihood": -12.5},
    "holdout": None,
    "warnings": ["MBG/NBD not fitted (no customer has made a repeat purchase yet); no predictive "
                 "CLV", "no repeat buyers: purchase rates cannot be estimated"],
    "settings": {"horizon_months": 12, "annual_discount_rate": 0.1, "gross_margin": 1.0,
                 "dormant_p_alive": 0.3, "dormant_max_days": 180, "currency": "USD"},
    "lifespan_years": 3.0,
}  # fmt: skip


def test_details_stored_before_they_were_versioned_read_as_typed_details() -> None:
    details = RunDetails.from_json(STORED_BEFORE_VERSIONS)
    assert details.transactions_model.params["alpha"] == pytest.approx(60.5987313)
    assert details.transactions_model.key == "mbgnbd"
    assert details.spend_model.n_customers is None
    holdout = details.holdout
    assert holdout is not None
    assert (holdout.calibration_end, holdout.holdout_end) == (date(1998, 3, 31), date(1998, 6, 30))
    assert [b.frequency for b in holdout.by_frequency] == ["0", "7+"]
    assert holdout_sentence(holdout) == (
        "1998-03-31 → 1998-06-30: predicted 608 repeat purchases, actual 495: "
        "the model over-predicted by 22.8%"
    )
    changes = details.changes
    assert changes is not None
    assert changes.previous_week_end == date(1998, 6, 28)
    assert changes.migrations[0].source == "Potential Loyalists"
    assert changes.rises[0].customer_id == 1975
    assert details.settings.dormant_max_days == 180
    assert details.lifespan_years == 3.0
    # written back, it is the same record with a version (and the CLV:CAC target such a run
    # was read with: the default, 3)
    written = details.to_json()
    settings = {**STORED_BEFORE_VERSIONS["settings"], "clv_cac_target": 3.0}
    # and the keys of version 3, empty: such a run had no ranges, comparison or floor
    holdout = {**STORED_BEFORE_VERSIONS["holdout"], "interval_level": None,
               "interval_coverage": None, "interval_expected": None}  # fmt: skip
    version_3 = {
        "comparison": [], "selected_by": "setting", "requested_model": None, "fit_steps": [],
        "equity_range": None, "interval_level": None, "withheld": None,
        "spend_correlation": None,
    }  # fmt: skip
    assert written == {
        "version": VERSION, **STORED_BEFORE_VERSIONS, "settings": settings, "holdout": holdout,
        **version_3,
    }  # fmt: skip


def test_an_unfitted_run_stored_before_versions_reads_too() -> None:
    details = RunDetails.from_json(UNFITTED_BEFORE_VERSIONS)
    assert not details.transactions_model.fitted
    assert details.transactions_model.params == {}
    assert details.spend_model.standard_errors["p"] is None
    assert details.holdout is None
    assert details.changes is None
    assert holdout_sentence(details.holdout) == "no holdout check in this run"
    assert RunDetails.from_json(details.to_json()) == details


def test_details_of_a_newer_version_or_missing_keys_are_refused_by_name() -> None:
    with pytest.raises(DetailsError, match="version 4 is newer"):
        RunDetails.from_json({**STORED_BEFORE_VERSIONS, "version": 4})
    broken = {k: v for k, v in STORED_BEFORE_VERSIONS.items() if k != "settings"}
    with pytest.raises(DetailsError, match="lack 'settings'"):
        RunDetails.from_json(broken)


def test_a_run_stored_before_versions_is_read_by_model_status_and_the_digest(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    build_small_shop(engine, settings, tmp_path, backfill=1)
    with engine.begin() as connection:  # as the previous code left the store
        connection.execute(update(scoring_runs_table).values(details=STORED_BEFORE_VERSIONS))
    with Session(engine) as session:
        status = model_status(session)
    assert status.transactions_model.name == "MBG/NBD"
    assert status.holdout_summary.endswith("the model over-predicted by 22.8%")
    assert status.as_dict()["holdout"]["summary"] == status.holdout_summary
    assert math.isclose(status.as_dict()["lifespan_years"], 3.0)
    with Session(engine) as session:
        digest = build_digest(session, settings, week_end=None, now=MONDAY_9AM)
    assert f"Holdout check: {status.holdout_summary}." in render_text(digest)
    assert digest.drivers is None  # the stored changes compare with another week than this


def test_a_scoring_run_stores_versioned_details(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    build_small_shop(engine, settings, tmp_path, backfill=1)
    with engine.connect() as connection:
        stored = connection.execute(
            scoring_runs_table.select().order_by(scoring_runs_table.c.id)
        ).all()
    assert [row.details["version"] for row in stored] == [VERSION, VERSION]
    first, second = (RunDetails.from_json(row.details) for row in stored)
    assert first.changes is None  # the first week has nothing to compare with
    assert second.changes is not None
    assert second.changes.previous_week_end == first_week_end(stored)


def first_week_end(rows: list[Any]) -> date:
    day: date = rows[0].week_end
    return day
