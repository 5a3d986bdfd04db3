"""The digest's chart scales honestly and shows the weeks the digest's text counts."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from matplotlib.figure import Figure

from reports.digest.data import WeekPoint
from reports.digest.publish import chart_png
from reports.digest.render import render_blocks, render_text
from tests.reports.conftest import CHANNEL
from tests.reports.test_render import hostile_digest


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    """The figures saved as PNG, as they were drawn (matplotlib's boundary, not our code)."""
    figures: list[Figure] = []
    save = Figure.savefig

    def keep(self: Figure, *args: Any, **kwargs: Any) -> None:
        figures.append(self)
        save(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    return figures


def test_the_chart_starts_its_value_axes_at_zero_and_shows_the_weeks_the_text_counts(
    drawn: list[Figure],
) -> None:
    # twelve weeks of a 2 % drift in mean CLV (118.7 -> 114.5), as in the demo's digest
    weeks = [date(2026, 9, 6) + timedelta(weeks=k) for k in range(12)]
    trend = [
        WeekPoint(w, 340_000.0 - 500 * k, 118.7 - 4.2 * k / 11, 2800, 200, 10_000)
        for k, w in enumerate(weeks)
    ]
    digest = replace(hostile_digest(rows=3), week_end=weeks[-1], as_of=weeks[-1], trend=trend)
    assert chart_png(digest).startswith(b"\x89PNG")
    (figure,) = drawn
    axes = figure.get_axes()
    assert [axis.get_ylim()[0] for axis in axes] == [0.0] * len(axes)
    (equity,) = [a for a in axes if a.patches]
    assert len(equity.patches) == len(trend)  # one bar per week
    text = render_text(digest, channel=CHANNEL)
    counted = re.search(r"Last (\d+) weeks", text)
    assert counted is not None
    blocks = json.dumps(render_blocks(digest, channel=CHANNEL)["blocks"], ensure_ascii=False)
    # the number of weeks is said where the chart is announced, and it is the chart's
    assert int(counted.group(1)) == len(trend)
    assert f"last {len(trend)} weeks" in equity.get_title(loc="left")
    assert f"Chart of these {len(trend)} weeks" in blocks
