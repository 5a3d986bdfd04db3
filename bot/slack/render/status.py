"""`/clv model`: when the model was fitted, on how many customers, how well it did."""

from __future__ import annotations

from typing import Any

from clv.formatting import money
from clv.present.blocks import context, escape, fields, header, line_sections, to_message


def _when(stamp: str | None) -> str:
    return f"{stamp[:16].replace('T', ' ')} UTC" if stamp else "—"


def _holdout(holdout: dict[str, Any] | None) -> str:
    if not holdout:
        return "no holdout check in this run"
    predicted = float(holdout["predicted_repeat_purchases"])
    actual = float(holdout["actual_repeat_purchases"])
    error = abs(predicted - actual) / actual if actual else float("nan")
    return (
        f"{holdout['calibration_end']} → {holdout['holdout_end']}: predicted {predicted:,.0f} "
        f"repeat purchases, actual {actual:,.0f} ({error:.1%} off)"
    )


def render_model(status: dict[str, Any], *, currency: str) -> dict[str, Any]:
    """`status` is `model_status()`."""
    model = status["transactions_model"].get("name") or "no purchase model"
    spend = status["spend_model"].get("name") or "no spend model"
    pairs = [
        ("Scores as of", status["as_of"]),
        ("Fitted", _when(status["fitted_at"])),
        ("Models", f"{escape(model)} + {escape(spend)}"),
        ("Customers · buyers", f"{status['customers']:,} · {status['buyers']:,}"),
        ("Customer equity", money(status["customer_equity"], currency, decimals=0)),
        ("Holdout check", escape(_holdout(status["holdout"]))),
    ]
    notes = [f":warning: {escape(w)}" for w in status["warnings"]]
    if status["failed_since"]:
        notes.append(f":x: the last scoring run failed: {escape(status['failed_since']['error'])}")
    blocks = [header("The CLV model"), fields(pairs), *line_sections(notes)]
    blocks.append(context("`clvbot model` on the command line shows every parameter"))
    text = f"{model} fitted {_when(status['fitted_at'])} on {status['customers']:,} customers"
    return to_message(escape(text), blocks)
