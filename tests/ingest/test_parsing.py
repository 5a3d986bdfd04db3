"""Field parsers: money stays exact, dates land in UTC with the right local day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from clv.ingest.parsing import (
    DateParser,
    FieldError,
    format_money,
    parse_bool,
    parse_email,
    parse_int_between,
    parse_money,
)


@pytest.mark.parametrize(
    ("text", "exponent", "minor"),
    [
        ("12.30", 2, 1230),
        ("12.3", 2, 1230),
        ("12", 2, 1200),
        ("-4.05", 2, -405),
        ("+0.01", 2, 1),
        ("0", 2, 0),
        ("1.500", 2, 150),  # trailing zeros are not extra precision
        (" 7.00 ", 2, 700),
        ("1500", 0, 1500),
        ("1.234", 3, 1234),
        ("0.1", 2, 10),  # exact, not 0.1 as a binary float
        ("999999999.99", 2, 99999999999),  # within the largest amount accepted, 10^9
    ],
)
def test_parse_money_is_exact(text: str, exponent: int, minor: int) -> None:
    assert parse_money(text, column="amount", exponent=exponent, currency="X") == minor


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.005", "too many decimals for USD (3 > 2)"),
        ("abc", "not a number"),
        ("", "not a number"),
        ("1,000.00", "not a number"),
        ("$5", "not a number"),
        ("1e3", "not a number"),
        ("nan", "not a number"),
    ],
)
def test_parse_money_rejects_with_reason(text: str, reason: str) -> None:
    with pytest.raises(FieldError) as caught:
        parse_money(text, column="amount", exponent=2, currency="USD")
    assert caught.value.column == "amount"
    assert reason in caught.value.reason


@pytest.mark.parametrize("minor", [0, 1, -1, 1230, -405, 10**9 - 7])
@pytest.mark.parametrize("exponent", [0, 2, 3])
def test_format_money_inverts_parse_money(minor: int, exponent: int) -> None:
    text = format_money(minor, exponent=exponent)
    assert parse_money(text, column="a", exponent=exponent, currency="X") == minor


def test_dates_without_zone_are_taken_in_the_configured_zone() -> None:
    berlin = DateParser(ZoneInfo("Europe/Berlin"))
    instant, day = berlin("2024-07-01 00:30", column="ordered_at")
    assert instant == datetime(2024, 6, 30, 22, 30, tzinfo=UTC)
    assert day == date(2024, 7, 1)  # the shop's calendar day, not UTC's


def test_dates_with_zone_keep_their_instant() -> None:
    utc = DateParser(ZoneInfo("UTC"))
    instant, day = utc("2024-07-01T01:00:00+02:00", column="ordered_at")
    assert instant == datetime(2024, 6, 30, 23, 0, tzinfo=UTC)
    assert day == date(2024, 6, 30)
    assert utc("2024-07-01T10:00:00Z", column="x")[0] == datetime(2024, 7, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize("text", ["19970101", "1997-01-01", "1997-01-01T00:00:00"])
def test_iso_and_yyyymmdd_need_no_format(text: str) -> None:
    assert DateParser(UTC)(text, column="d") == (datetime(1997, 1, 1, tzinfo=UTC), date(1997, 1, 1))


def test_custom_date_format() -> None:
    parser = DateParser(UTC, "%d/%m/%Y")
    assert parser("31/12/2023", column="d")[1] == date(2023, 12, 31)
    with pytest.raises(FieldError, match="format '%d/%m/%Y'"):
        parser("2023-12-31", column="d")


@pytest.mark.parametrize("text", ["2023-02-30", "yesterday", "31/12/2023", "", "2023-13-01"])
def test_bad_dates_name_the_value(text: str) -> None:
    with pytest.raises(FieldError) as caught:
        DateParser(UTC)(text, column="ordered_at")
    assert caught.value.column == "ordered_at"
    assert (repr(text.strip()) in caught.value.reason) or text == ""


def test_bool_int_and_email_parsers() -> None:
    assert parse_bool("Yes", column="o") is True
    assert parse_bool("0", column="o") is False
    with pytest.raises(FieldError, match="expected true/false"):
        parse_bool("maybe", column="o")
    assert parse_int_between("10", column="nps", low=0, high=10) == 10
    with pytest.raises(FieldError, match="between 0 and 10"):
        parse_int_between("11", column="nps", low=0, high=10)
    assert parse_email(" ann@example.com ") == "ann@example.com"
    with pytest.raises(FieldError, match="not an email"):
        parse_email("ann at example.com")
