"""What a scoring run keeps in `scoring_runs.details`: a typed, versioned record.

The pipeline builds a `RunDetails`; the store writes `to_json()`; readers (`model_status`,
the digest) get `RunDetails.from_json(run.details)` and read attributes. Version 1 is the
unversioned dict the pipeline wrote before the record was typed (the same keys); runs stored
then read as they are.

`version` 2: {"version": 2, "time_unit": "days", "transactions_model": ModelReport,
"spend_model": ModelReport, "holdout": HoldoutCheck | null, "warnings": [str],
"settings": RunSettings, "lifespan_years": float | null, "changes": WeekChanges (only when
the previous week's point was stored)}.

`version` 3 adds, each optional when reading: "comparison": [ModelComparison] (the
candidates of CLV_MODEL=auto), "selected_by": "auto" | "setting", "requested_model" (what
was asked for: auto or a model's key), "fit_steps": [str] (fallbacks taken, also among the
warnings), "equity_range": EquityRange | null, "interval_level": float | null, "withheld":
str | null (why the run stores no predictions: "predictions start at ..."),
"spend_correlation": float | null (frequency vs mean spend of the repeat buyers),
"stage_seconds": {stage: seconds} (clv.scoring.stages; what the run's stages took, the
writes included; absent in runs stored before it: {}).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from clv.scoring.records import EquityRange, HoldoutCheck, ModelComparison, WeekChanges
from clv.segments.acquisition import DEFAULT_CLV_CAC_TARGET

VERSION = 3
VERSIONS = (1, 2, 3)


class DetailsError(ValueError):
    """A run's stored details are not a version this code reads."""


@dataclass(frozen=True)
class ModelReport:
    """A fitted model (or one that could not be fitted), as `clvbot model` shows it."""

    name: str
    fitted: bool
    params: Mapping[str, float] = field(default_factory=dict)
    standard_errors: Mapping[str, float | None] = field(default_factory=dict)
    log_likelihood: float | None = None
    key: str | None = None  # the purchase model's CLV_MODEL name (bgnbd, mbgnbd, pnbd)
    n_customers: int | None = None  # buyers the purchase model was fitted on

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "fitted": self.fitted}
        if self.fitted:
            data |= {"params": dict(self.params), "standard_errors": dict(self.standard_errors),
                     "log_likelihood": self.log_likelihood}  # fmt: skip
        if self.key is not None:
            data |= {"key": self.key, "n_customers": self.n_customers}
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelReport:
        errors = data.get("standard_errors") or {}  # absent: not fitted
        n = data.get("n_customers")  # absent: the spend model
        return cls(
            name=str(data["name"]),
            fitted=bool(data["fitted"]),
            params={k: float(v) for k, v in (data.get("params") or {}).items()},
            standard_errors={k: None if v is None else float(v) for k, v in errors.items()},
            log_likelihood=_float_or_none(data.get("log_likelihood")),
            key=data.get("key"),
            n_customers=None if n is None else int(n),
        )


@dataclass(frozen=True)
class RunSettings:
    """The settings a run valued and classified customers with."""

    horizon_months: int
    annual_discount_rate: float
    gross_margin: float
    dormant_p_alive: float
    dormant_max_days: int
    currency: str
    clv_cac_target: float = DEFAULT_CLV_CAC_TARGET  # runs stored before it had the default

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunSettings:
        return cls(
            horizon_months=int(data["horizon_months"]),
            annual_discount_rate=float(data["annual_discount_rate"]),
            gross_margin=float(data["gross_margin"]),
            dormant_p_alive=float(data["dormant_p_alive"]),
            dormant_max_days=int(data["dormant_max_days"]),
            currency=str(data["currency"]),
            clv_cac_target=float(data.get("clv_cac_target", DEFAULT_CLV_CAC_TARGET)),
        )


@dataclass(frozen=True)
class RunDetails:
    transactions_model: ModelReport
    spend_model: ModelReport
    holdout: HoldoutCheck | None
    warnings: tuple[str, ...]
    settings: RunSettings
    lifespan_years: float | None = None  # of the formula CLV
    changes: WeekChanges | None = None  # None: no previous week's point to compare with
    time_unit: str = "days"
    comparison: tuple[ModelComparison, ...] = ()
    selected_by: str = "setting"  # "auto": CLV_MODEL=auto chose the model
    requested_model: str | None = None
    fit_steps: tuple[str, ...] = ()
    equity_range: EquityRange | None = None
    interval_level: float | None = None
    withheld: str | None = None  # why there are no predictions (below the data floor)
    spend_correlation: float | None = None
    stage_seconds: Mapping[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": VERSION,
            "time_unit": self.time_unit,
            "transactions_model": self.transactions_model.to_json(),
            "spend_model": self.spend_model.to_json(),
            "holdout": self.holdout.to_json() if self.holdout else None,
            "warnings": list(self.warnings),
            "settings": self.settings.to_json(),
            "lifespan_years": self.lifespan_years,
        }
        if self.changes is not None:
            data["changes"] = self.changes.to_json()
        if self.stage_seconds:
            data["stage_seconds"] = dict(self.stage_seconds)
        return data | self._predictions_json()

    def _predictions_json(self) -> dict[str, Any]:
        return {
            "comparison": [row.to_json() for row in self.comparison],
            "selected_by": self.selected_by,
            "requested_model": self.requested_model,
            "fit_steps": list(self.fit_steps),
            "equity_range": None if self.equity_range is None else self.equity_range.to_json(),
            "interval_level": self.interval_level,
            "withheld": self.withheld,
            "spend_correlation": self.spend_correlation,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunDetails:
        """The details of a complete run, as any version in `VERSIONS` stored them."""
        version = data.get("version", 1)
        if version not in VERSIONS:
            raise DetailsError(f"run details version {version} is newer than this clvbot reads")
        try:
            holdout, changes = data["holdout"], data.get("changes")
            return cls(
                transactions_model=ModelReport.from_json(data["transactions_model"]),
                spend_model=ModelReport.from_json(data["spend_model"]),
                holdout=HoldoutCheck.from_json(holdout) if holdout else None,
                warnings=tuple(str(w) for w in data["warnings"]),
                settings=RunSettings.from_json(data["settings"]),
                lifespan_years=_float_or_none(data.get("lifespan_years")),
                changes=WeekChanges.from_json(changes) if changes else None,
                time_unit=str(data["time_unit"]),
                **_predictions_from_json(data),
            )
        except (KeyError, TypeError) as exc:
            raise DetailsError(f"run details (version {version}) lack {exc}") from exc


def _predictions_from_json(data: Mapping[str, Any]) -> dict[str, Any]:
    """The version 3 keys (absent in older runs: their defaults)."""
    equity, requested = data.get("equity_range"), data.get("requested_model")
    return {
        "comparison": tuple(ModelComparison.from_json(r) for r in data.get("comparison") or ()),
        "selected_by": str(data.get("selected_by") or "setting"),
        "requested_model": None if requested is None else str(requested),
        "fit_steps": tuple(str(step) for step in data.get("fit_steps") or ()),
        "equity_range": EquityRange.from_json(equity) if equity else None,
        "interval_level": _float_or_none(data.get("interval_level")),
        "withheld": data.get("withheld"),
        "spend_correlation": _float_or_none(data.get("spend_correlation")),
        "stage_seconds": {
            str(name): float(seconds) for name, seconds in (data.get("stage_seconds") or {}).items()
        },
    }


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)
