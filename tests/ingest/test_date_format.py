"""`DateFormat` reads exactly what `datetime.strptime` reads, and refuses what it refuses."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clv.ingest.parsing import DateFormat

FORMATS = ["%m/%d/%Y %H:%M", "%d.%m.%Y", "%Y%m%d %H%M%S", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d"]


def _strptime(text: str, date_format: str) -> datetime | None:
    try:
        return datetime.strptime(text, date_format)
    except ValueError:
        return None


def _ours(text: str, date_format: str) -> datetime | None:
    try:
        return DateFormat(date_format)(text)
    except ValueError:
        return None


numbers = st.integers(min_value=0, max_value=99).map(str) | st.sampled_from(["00", "07", " 7"])


@settings(max_examples=600, deadline=None)
@given(
    date_format=st.sampled_from(FORMATS),
    parts=st.lists(numbers, min_size=6, max_size=6),
    year=st.sampled_from(["2010", "1999", "0000", "20100", "210"]),
    noise=st.sampled_from(["", " ", "x", "  "]),
)
def test_the_same_as_strptime(date_format: str, parts: list[str], year: str, noise: str) -> None:
    """Texts built from the format's own shape, with out-of-range, padded and stray parts."""
    values = iter(parts)
    text, i = "", 0
    while i < len(date_format):
        if date_format[i] == "%":
            text += year if date_format[i + 1] == "Y" else next(values)
            i += 2
        else:
            text += date_format[i]
            i += 1
    text += noise
    assert _ours(text, date_format) == _strptime(text, date_format), text


@pytest.mark.parametrize(
    ("text", "date_format"),
    [("12/1/2010 8:26", "%m/%d/%Y %H:%M"), ("Dec 1 2010", "%b %d %Y"), ("1 12 2010", "%d %m %Y")],
)
def test_examples(text: str, date_format: str) -> None:
    assert _ours(text, date_format) == datetime.strptime(text, date_format)
