"""Numbers as people read them, shared by the CLI, the bot and the digest."""

from __future__ import annotations

import math

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
_SPARKS = "▁▂▃▄▅▆▇█"


def money(value: float | None, currency: str = "USD", *, decimals: int = 2) -> str:
    """`money(1234.5)` -> '$1,234.50'; unknown currencies get a code suffix."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    sign = "-" if value < 0 else ""
    digits = f"{abs(value):,.{decimals}f}"
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency}"


def percent(value: float | None, *, decimals: int = 0) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return f"{100 * value:.{decimals}f}%"


def signed(value: float, formatter: str = "{:,.0f}") -> str:
    text = formatter.format(abs(value))
    return f"+{text}" if value > 0 else (f"−{text}" if value < 0 else text)


def sparkline(values: list[float]) -> str:
    """A text sparkline, e.g. '▁▂▄▆█'; flat series show a flat middle line."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if math.isclose(low, high):
        return _SPARKS[3] * len(values)
    span = high - low
    return "".join(_SPARKS[min(7, int((v - low) / span * 8))] for v in values)
