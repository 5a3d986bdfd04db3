"""Numbers as people read them, shared by the CLI, the bot and the digest.

Money has one form wherever people read it: the currency's symbol (or its ISO code before
the number when it has none we know), thousands grouped, and a true minus sign:
`$1,234.50`, `−$12.50`, `CHF 1,234.50`. Changes carry their sign: `+$1,493`, `−$1,493`.
"""

from __future__ import annotations

import math
from decimal import Decimal

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
# the symbols a file may write before an amount, per currency: "$" is read as the dollar of
# whichever dollar currency the shop sells in (CURRENCY says which), never as another one
_WRITTEN_SYMBOLS = {
    "$": ("USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"),
    "€": ("EUR",),
    "£": ("GBP",),
    "¥": ("JPY", "CNY"),
    "₹": ("INR",),
}
_SPARKS = "▁▂▃▄▅▆▇█"
MINUS = "\u2212"  # the minus sign, not a hyphen


def money(value: float | None, currency: str = "USD", *, decimals: int = 2) -> str:
    """`money(1234.5)` -> '$1,234.50'; `money(-12.5)` -> '−$12.50'; unknown currencies get
    their code before the number ('CHF 1,234.50')."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    digits = f"{abs(value):,.{decimals}f}"
    negative = round(value, decimals) < 0  # no "−$0.00"
    symbol = _SYMBOLS.get(currency)
    amount = f"{symbol}{digits}" if symbol else f"{currency} {digits}"
    return f"{MINUS}{amount}" if negative else amount


def major_units(minor: int, exponent: int) -> Decimal:
    """A stored amount in minor units, exactly, in major units: 24409194 -> Decimal('244091.94')."""
    return Decimal(minor).scaleb(-exponent)


def money_exact(minor: int, currency: str, exponent: int) -> str:
    """`money` for a stored total, digit for digit whatever its size (no float on the way)."""
    amount = major_units(abs(minor), exponent)
    digits = f"{amount:,.{exponent}f}"
    symbol = _SYMBOLS.get(currency)
    text = f"{symbol}{digits}" if symbol else f"{currency} {digits}"
    return f"{MINUS}{text}" if minor < 0 else text


def money_change(value: float | None, currency: str = "USD", *, decimals: int = 0) -> str:
    """A change of money with its sign: '+$1,493', '−$1,493', '$0'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    text = money(value, currency, decimals=decimals)
    return f"+{text}" if round(value, decimals) > 0 else text


def money_minor(minor: int | None, currency: str, exponent: int, *, decimals: int = 2) -> str:
    """An amount stored in minor units (cents), as `money` shows it."""
    return "n/a" if minor is None else money(minor / 10**exponent, currency, decimals=decimals)


def percent(value: float | None, *, decimals: int = 0) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return f"{100 * value:.{decimals}f}%"


def signed(value: float, formatter: str = "{:,.0f}") -> str:
    """A count or share with its sign: '+3', '−3', '0'."""
    text = formatter.format(abs(value))
    if not any(c in "123456789" for c in text):  # shown as zero: no sign
        return text
    return f"+{text}" if value > 0 else f"{MINUS}{text}"


def sparkline(values: list[float]) -> str:
    """A text sparkline, e.g. '▁▂▄▆█'; flat series show a flat middle line."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if math.isclose(low, high):
        return _SPARKS[3] * len(values)
    span = high - low
    return "".join(_SPARKS[min(7, int((v - low) / span * 8))] for v in values)


def symbol_currencies(symbol: str) -> tuple[str, ...] | None:
    """The currencies a written symbol may stand for ('$' -> USD, CAD, ...); None: no symbol."""
    return _WRITTEN_SYMBOLS.get(symbol)
