"""The digest's chart: weeks of customer equity and mean CLV, as a PNG (matplotlib, no display).

Both value axes start at zero, so a 2 % drift looks like a 2 % drift, not a collapse; the
title says how many weeks it shows, as the digest's text does.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

EQUITY_COLOUR = "#1264a3"  # Slack's link blue
MEAN_COLOUR = "#e8912d"


def _compact(value: float, _position: object = None) -> str:
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= threshold:
            return f"{value / threshold:.1f}".removesuffix(".0") + suffix
    return f"{value:.0f}"


def render_trend_chart(
    weeks: Sequence[date],
    equity: Sequence[float],
    mean_clv: Sequence[float],
    *,
    currency: str,
) -> bytes:
    """A 1200x600 PNG: customer equity (bars, left axis) and mean CLV (line, right axis),
    both axes from zero."""
    # imported here: matplotlib costs a second at start-up, and only the digest draws
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    figure = Figure(figsize=(8, 4), dpi=150)  # not pyplot: no global state, thread-safe
    axis = figure.add_subplot()
    labels = [week.strftime("%d %b") for week in weeks]
    positions = list(range(len(weeks)))
    axis.bar(positions, equity, color=EQUITY_COLOUR, alpha=0.85, label="Customer equity")
    axis.set_ylabel(f"Customer equity ({currency})")
    axis.yaxis.set_major_formatter(FuncFormatter(_compact))
    axis.set_xticks(positions, labels, rotation=45, ha="right", fontsize=8)
    axis.spines[["top"]].set_visible(False)
    mean_axis = axis.twinx()
    mean_axis.plot(
        positions, mean_clv, color=MEAN_COLOUR, marker="o", linewidth=2, label="Mean CLV"
    )
    mean_axis.set_ylabel(f"Mean CLV ({currency})")  # the default ticks keep its decimals
    for value_axis, values in ((axis, equity), (mean_axis, mean_clv)):
        top = max([0.0, *values])
        value_axis.set_ylim(0.0, top * 1.15 if top > 0 else 1.0)  # room for the legend
    mean_axis.spines[["top"]].set_visible(False)
    handles = axis.get_legend_handles_labels()[0] + mean_axis.get_legend_handles_labels()[0]
    figure.legend(handles=handles, loc="upper right", ncol=2, fontsize=8, frameon=False)
    axis.set_title(f"Customer value, last {len(weeks)} weeks", fontsize=11, loc="left")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def render_trend_points(points: Sequence[tuple[date, float, float]], *, currency: str) -> bytes:
    """`render_trend_chart` of (week end, customer equity, mean CLV) points, oldest first."""
    return render_trend_chart(
        [p[0] for p in points], [p[1] for p in points], [p[2] for p in points], currency=currency
    )


def render_cohort_chart(
    cohorts: Sequence[tuple[str, Sequence[float]]], *, currency: str, period: str = "month"
) -> bytes:
    """A 1200x600 PNG: cumulative revenue per customer (y, from zero) by periods since
    acquisition (x, 1 = the acquisition period), one line per cohort, the newest darkest."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    figure = Figure(figsize=(8, 4), dpi=150)
    axis = figure.add_subplot()
    shades = colormaps["viridis"]
    count = max(1, len(cohorts))
    top = 0.0
    for i, (label, values) in enumerate(cohorts):
        periods = list(range(1, len(values) + 1))
        colour = shades(0.9 * (1 - (i + 1) / count))  # the newest darkest
        axis.plot(periods, values, color=colour, marker="o", markersize=3, linewidth=1.6,
                  label=label)  # fmt: skip
        top = max([top, *values])
    axis.set_ylim(0.0, top * 1.1 if top > 0 else 1.0)
    axis.set_xlabel(
        f"{period.capitalize()} since acquisition (1 = the acquisition {period}; each line's "
        f"last {period} is under way)"
    )
    axis.set_ylabel(f"Cumulative revenue per customer ({currency})")
    axis.yaxis.set_major_formatter(FuncFormatter(_compact))
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.spines[["top", "right"]].set_visible(False)
    axis.legend(loc="upper left", fontsize=7, ncol=2, frameon=False, title="cohort",
                title_fontsize=7)  # fmt: skip
    axis.set_title(f"Revenue per customer by acquisition cohort, last {len(cohorts)} cohorts",
                   fontsize=11, loc="left")  # fmt: skip
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
