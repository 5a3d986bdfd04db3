"""`/clv model`: when the model was fitted, on how many customers, how well it did."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from clv.insights.model import ModelStatus
from clv.present.blocks import (
    context,
    escape,
    fields,
    header,
    line_sections,
    section,
    to_message,
)
from clv.present.predictions import comparison_table, equity_text
from clv.scoring.details import ModelReport
from clv.segments.predictions import AUTO_RULE


def _when(stamp: datetime | None) -> str:
    return f"{stamp:%Y-%m-%d %H:%M} UTC" if stamp else "—"


def _is_withheld(warning: str, status: ModelStatus) -> bool:
    """The "no predictions" warning, said once at the top instead."""
    return status.withheld is not None and status.withheld in warning


def _named(report: ModelReport) -> str:
    return report.name if report.fitted else f"{report.name} (not fitted)"


def _comparison(status: ModelStatus) -> list[dict[str, Any]]:
    """CLV_MODEL=auto's table, preformatted (our own words and numbers only)."""
    if not status.comparison:
        return []
    table = comparison_table(status.comparison)
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in table]  # fmt: skip
    actual = next((r.actual_holdout for r in status.comparison if r.actual_holdout), None)
    head = "*Models compared on the holdout* (CLV_MODEL=auto"
    head += f"; actual repeat purchases {actual:,.0f})" if actual is not None else ")"
    return [section(head + "\n```" + "\n".join(lines) + "```"), context(escape(AUTO_RULE))]


def render_model(status: ModelStatus, *, currency: str, zone: tzinfo = UTC) -> dict[str, Any]:
    """The current run's model status as an ephemeral message."""
    model, spend = _named(status.transactions_model), _named(status.spend_model)
    chosen = " (chosen by CLV_MODEL=auto)" if status.selected_by == "auto" else ""
    pairs = [
        ("Scores as of", status.run.as_of.isoformat()),
        ("Fitted", _when(status.fitted_at)),
        ("Models", f"{escape(model)} + {escape(spend)}{chosen}"),
        ("Customers · buyers", f"{status.customers:,} · {status.buyers:,}"),
        (
            "Customer equity",
            "not predicted yet"
            if status.withheld
            else escape(equity_text(status.customer_equity, status.equity_range, currency)),
        ),
        ("Holdout check", escape(status.holdout_summary)),
    ]
    if status.spend_correlation is not None:
        pairs.append(("Spend vs frequency", f"correlation {status.spend_correlation:+.2f} "
                                            "(Gamma-Gamma assumes none)"))  # fmt: skip
    notes = [f":hourglass: {escape(status.withheld)}"] if status.withheld else []
    notes += [f":warning: {escape(w)}" for w in status.warnings if not _is_withheld(w, status)]
    if status.failed_since:
        notes.append(f":x: the last scoring run failed: {escape(status.failed_since.error or '')}")
    if status.last_sync is not None:
        mark = ":x:" if status.last_sync.status == "failed" else ":arrows_counterclockwise:"
        notes.append(f"{mark} {escape(status.last_sync.sentence(zone))}")
    blocks = [header("The CLV model"), fields(pairs), *_comparison(status), *line_sections(notes)]
    blocks.append(context("`clvbot model` on the command line shows every parameter"))
    text = f"{model} fitted {_when(status.fitted_at)} on {status.customers:,} customers"
    return to_message(escape(text), blocks)
