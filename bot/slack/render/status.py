"""`/clv model`: when the model was fitted, on how many customers, how well it did."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from clv.formatting import money
from clv.insights.model import ModelStatus
from clv.present.blocks import context, escape, fields, header, line_sections, to_message
from clv.scoring.details import ModelReport


def _when(stamp: datetime | None) -> str:
    return f"{stamp:%Y-%m-%d %H:%M} UTC" if stamp else "—"


def _named(report: ModelReport) -> str:
    return report.name if report.fitted else f"{report.name} (not fitted)"


def render_model(status: ModelStatus, *, currency: str, zone: tzinfo = UTC) -> dict[str, Any]:
    """The current run's model status as an ephemeral message."""
    model, spend = _named(status.transactions_model), _named(status.spend_model)
    pairs = [
        ("Scores as of", status.run.as_of.isoformat()),
        ("Fitted", _when(status.fitted_at)),
        ("Models", f"{escape(model)} + {escape(spend)}"),
        ("Customers · buyers", f"{status.customers:,} · {status.buyers:,}"),
        ("Customer equity", money(status.customer_equity, currency, decimals=0)),
        ("Holdout check", escape(status.holdout_summary)),
    ]
    notes = [f":warning: {escape(w)}" for w in status.warnings]
    if status.failed_since:
        notes.append(f":x: the last scoring run failed: {escape(status.failed_since.error or '')}")
    if status.last_sync is not None:
        mark = ":x:" if status.last_sync.status == "failed" else ":arrows_counterclockwise:"
        notes.append(f"{mark} {escape(status.last_sync.sentence(zone))}")
    blocks = [header("The CLV model"), fields(pairs), *line_sections(notes)]
    blocks.append(context("`clvbot model` on the command line shows every parameter"))
    text = f"{model} fitted {_when(status.fitted_at)} on {status.customers:,} customers"
    return to_message(escape(text), blocks)
