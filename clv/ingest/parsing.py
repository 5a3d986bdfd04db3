"""Field parsers for imported rows. Each raises `FieldError` with a reason a person can act on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

from clv.formatting import symbol_currencies

_TRUE = frozenset({"1", "true", "t", "yes", "y"})
_FALSE = frozenset({"0", "false", "f", "no", "n"})
_DATE_CACHE_LIMIT = 100_000
# |amount| <= 10^9 major units (10^(9+exponent) minor): even 9 million orders of the largest
# amount, in a currency of 3 decimals, sum inside a signed 64-bit integer (< 9.2 * 10^18)
MAX_AMOUNT_MAJOR = 10**9
MAX_AMOUNT_TEXT = 40  # characters: longer text is rejected before int() reads it
# Earlier dates are placeholders (0001-01-01) or epoch artefacts (1969-12-31), not orders.
EARLIEST_DAY = date(1990, 1, 1)
_EMAIL_MAX = 320  # characters: longer text is no address (RFC 5321 allows 254)
_EMAIL_CACHE = 200_000  # distinct addresses checked per process: files repeat them


class FieldError(ValueError):
    """One field of one row cannot be read; `column` names the field."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(f"{column}: {reason}")
        self.column = column
        self.reason = reason


def parse_money(text: str, *, column: str, exponent: int, currency: str) -> int:
    """`'12.30'` -> 1230 minor units (exponent 2). Exact: never goes through a float.

    |amount| is at most `MAX_AMOUNT_MAJOR` major units (see `largest_amount`).
    """
    value = text.strip()
    if len(value) > MAX_AMOUNT_TEXT:
        raise FieldError(
            column,
            f"longer than {MAX_AMOUNT_TEXT} characters ({len(value)}): {value[:20] + '...'!r}; "
            + _largest_accepted(exponent, currency),
        )
    sign = -1 if value[:1] == "-" else 1
    if value[:1] in "+-":
        value = value[1:]
    whole, _, fraction = value.partition(".")
    if not whole and fraction:  # ".5"
        whole = "0"
    if not (whole.isascii() and whole.isdigit()) or (
        fraction and not (fraction.isascii() and fraction.isdigit())
    ):
        raise FieldError(column, f"not a number: {text!r}")
    fraction = fraction.rstrip("0")
    if len(fraction) > exponent:
        raise FieldError(
            column, f"too many decimals for {currency} ({len(fraction)} > {exponent}): {text!r}"
        )
    minor = int(whole) * 10**exponent + (int(fraction.ljust(exponent, "0")) if exponent else 0)
    if minor > largest_amount(exponent):
        raise FieldError(column, f"too large: {text!r}; " + _largest_accepted(exponent, currency))
    return int(sign * minor)


# an ISO code (upper case) before or after a number: "USD 12.50", "12.50 USD", "12.50USD"
_CODE = re.compile(
    r"(?:(?P<before>[A-Z]{3})\s*)?(?P<body>[^A-Za-z]*[0-9][^A-Za-z]*?)(?:\s*(?P<after>[A-Z]{3}))?"
)


@dataclass(frozen=True)
class MoneyText:
    """How a file writes amounts: plain (`1296.00`) or as people write them (`1,296.00`,
    `$1,296.00`, `1,296.00 USD`; with `decimal_comma`, `1.296,00`). Thousands separators must
    group by three, and a symbol or code must be the shop's CURRENCY: anything else is
    ambiguous and rejected, never guessed."""

    exponent: int
    currency: str
    decimal_comma: bool = False

    def parse(self, text: str, *, column: str) -> int:
        """Minor units, exactly (`parse_money` after the amount is reduced to plain digits)."""
        plain = self.plain(text, column=column)
        try:
            return parse_money(plain, column=column, exponent=self.exponent, currency=self.currency)
        except FieldError as exc:
            if plain == text.strip():
                raise
            raise FieldError(column, exc.reason.replace(repr(plain), repr(text.strip()))) from None

    def plain(self, text: str, *, column: str) -> str:
        value = text.strip()
        if len(value) > MAX_AMOUNT_TEXT or (value.replace(".", "", 1).lstrip("+-").isdigit()
                                            and not self.decimal_comma):  # fmt: skip
            return value  # plain already (or too long: parse_money says so)
        found = _CODE.fullmatch(value)
        code = (found["before"] or found["after"] or "") if found else ""
        if code and code != self.currency:
            raise FieldError(column, f"in {code}, not {self.currency} (CURRENCY): {text!r}")
        body = found["body"].strip() if found and code else value
        sign, body = _sign(body)
        body = self._without_symbol(body, text, column)
        inner, body = _sign(body)
        return (sign or inner) + self._digits(body, text, column)

    def _without_symbol(self, body: str, text: str, column: str) -> str:
        currencies = symbol_currencies(body[:1])
        if currencies is None:
            return body
        if self.currency not in currencies:
            raise FieldError(
                column, f"the symbol {body[:1]} is not {self.currency}'s (CURRENCY): {text!r}"
            )
        return body[1:].strip()

    def _digits(self, body: str, text: str, column: str) -> str:
        group, point = (".", ",") if self.decimal_comma else (",", ".")
        whole, _, fraction = body.partition(point)
        if group in whole:
            if not _GROUPED[group].fullmatch(whole):
                hint = "" if self.decimal_comma else " (for 1.296,00 use --decimal-comma)"
                raise FieldError(column, f"not a number: {text!r}{hint}")
            whole = whole.replace(group, "")
        if group in fraction:
            raise FieldError(column, f"not a number: {text!r}")
        return f"{whole}.{fraction}" if fraction or body.endswith(point) else whole


_GROUPED = {sep: re.compile(rf"[0-9]{{1,3}}(?:{re.escape(sep)}[0-9]{{3}})+") for sep in ",."}


def _sign(body: str) -> tuple[str, str]:
    return (body[0], body[1:].strip()) if body[:1] in ("+", "-") else ("", body)


def largest_amount(exponent: int) -> int:
    """The largest |amount| accepted, in minor units of a currency with `exponent` decimals."""
    return int(MAX_AMOUNT_MAJOR * 10**exponent)


def _largest_accepted(exponent: int, currency: str) -> str:
    largest = format_money(largest_amount(exponent), exponent=exponent)
    return f"the largest amount accepted is {largest} {currency} (either sign)"


def format_money(minor: int, *, exponent: int) -> str:
    """1230 -> `'12.30'` (exponent 2): the inverse of `parse_money`."""
    if exponent == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**exponent)
    return f"{sign}{whole}.{fraction:0{exponent}d}"


def parse_bool(text: str, *, column: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise FieldError(column, f"expected true/false (or yes/no, 1/0), got {text!r}")


def parse_int_between(text: str, *, column: str, low: int, high: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise FieldError(column, f"not a whole number: {text!r}") from None
    if not low <= value <= high:
        raise FieldError(column, f"must be between {low} and {high}, got {value}")
    return value


def parse_email(text: str, *, column: str = "email") -> str:
    """An address a mail server accepts, normalised and lower-cased (look-ups ignore case)."""
    address, problem = _checked_email(text.strip())
    if problem:
        raise FieldError(column, f"not an email address: {problem}")
    return address


# an ASCII dot-atom local part (RFC 5322 3.2.3) of at most 64 octets (RFC 5321 4.5.3.1.1)
_PLAIN_ADDRESS = re.compile(
    r"(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,64}(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@(?P<domain>[A-Za-z0-9.-]{1,253})"
)
_ADDRESS_MAX = 254  # RFC 5321's path limit, which email-validator applies to the address
_DOMAIN_CACHE = 10_000  # distinct domains a file holds are few: every address shares them


@lru_cache(maxsize=_EMAIL_CACHE)
def _checked_email(value: str) -> tuple[str, str]:
    """(normalised address, "") or ("", what is wrong).

    A plain ASCII address (the usual case) has its domain checked once per domain: checking a
    domain (IDNA rules for every label) is most of email-validator's cost, and a shop's
    addresses share a few thousand domains. Everything else, and every address whose domain
    fails, is checked whole by `_validated`, which also words the error.
    """
    if len(value) > _EMAIL_MAX:
        return "", f"longer than {_EMAIL_MAX} characters ({len(value)})"
    plain = _PLAIN_ADDRESS.fullmatch(value) if len(value) <= _ADDRESS_MAX else None
    if plain is not None and len(plain["local"]) <= 64:
        domain = _checked_domain(plain["domain"].lower())
        if domain:
            return f"{plain['local']}@{domain}".lower(), ""
    return _validated(value)


@lru_cache(maxsize=_DOMAIN_CACHE)
def _checked_domain(domain: str) -> str:
    """The normalised domain if an address at it passes `_validated`, else ""."""
    address, problem = _validated(f"a@{domain}")
    return "" if problem else address.partition("@")[2]


def _validated(value: str) -> tuple[str, str]:
    """(normalised address, "") or ("", what is wrong), from email-validator's syntax checks.

    No DNS look-ups (`check_deliverability`): an import stays offline and repeatable. The
    address must be deliverable on the internet (`globally_deliverable`), as outreach mails it
    there: a domain with a dot and a real top-level domain, none of IANA's special-use names
    (`email_validator.SPECIAL_USE_DOMAIN_NAMES`: arpa, invalid, local, localhost, onion, test).
    `example.com` and `*.example` are not special-use to it (RFC 6761 asks applications not to
    treat them so), so the demo shop's and the tests' addresses validate; `test_environment`
    would admit `@test` placeholders, which a shop's file should not hold. Internationalised
    addresses stay valid (`allow_smtputf8`); quoted local parts, IP-address domains and
    display names (`Ann <a@x.com>`) do not.
    """
    try:
        checked = validate_email(
            value,
            check_deliverability=False,
            globally_deliverable=True,
            test_environment=False,
            allow_smtputf8=True,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
        )
    except EmailNotValidError as exc:
        return "", f"{value!r} ({exc})"
    return checked.normalized.lower(), ""


@dataclass(frozen=True)
class DayRange:
    """The calendar days, in the shop's time zone, an imported date may fall on."""

    earliest: date
    latest: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.earliest <= day <= self.latest

    def outside(self, day: date, column: str) -> FieldError:
        return FieldError(
            column,
            f"date {day.isoformat()} is outside the accepted range {self.earliest} .. "
            f"{self.latest}",
        )


def accepted_days(zone: tzinfo, now: datetime | None = None) -> DayRange:
    """`EARLIEST_DAY` to tomorrow in `zone` (from the tz-aware `now`, default the clock)."""
    today = (now or datetime.now(UTC)).astimezone(zone).date()
    return DayRange(EARLIEST_DAY, today + timedelta(days=1))


class DateParser:
    """Reads dates and timestamps: ISO 8601 and `YYYYMMDD` always, or one `strptime` format.

    A value without a time zone is taken in `zone`. Returns the instant in UTC and the calendar
    day in `zone`, which must lie in `days` (see `accepted_days`; computed once, from `now`).
    Results are cached: real files repeat the same dates many times.
    """

    def __init__(
        self, zone: tzinfo, date_format: str | None = None, *, now: datetime | None = None
    ) -> None:
        self.zone = zone
        self.date_format = date_format
        self._strptime = DateFormat(date_format) if date_format else None
        self.days = accepted_days(zone, now)
        # the day as written is checked first, with a margin for any UTC offset: converting
        # 0001-01-01 or 9999-12-31 to another zone would overflow
        self._written = DayRange(
            self.days.earliest - timedelta(days=2), self.days.latest + timedelta(days=2)
        )
        self._cache: dict[str, tuple[datetime, date]] = {}

    def __call__(self, text: str, *, column: str) -> tuple[datetime, date]:
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        value = self._parse(text.strip(), column)
        if value.date() not in self._written:
            raise self.days.outside(value.date(), column)
        if value.tzinfo is None and self.zone is UTC:  # the common case, no zone arithmetic
            result = (value.replace(tzinfo=UTC), value.date())
        else:
            if value.tzinfo is None:
                value = value.replace(tzinfo=self.zone)
            result = (value.astimezone(UTC), value.astimezone(self.zone).date())
        if result[1] not in self.days:
            raise self.days.outside(result[1], column)
        if len(text) <= 10:  # dates repeat; timestamps rarely do
            self._remember(text, result)
        return result

    def _remember(self, text: str, result: tuple[datetime, date]) -> None:
        if len(self._cache) >= _DATE_CACHE_LIMIT:
            self._cache.clear()
        self._cache[text] = result

    def _parse(self, text: str, column: str) -> datetime:
        if not text:
            raise FieldError(column, "missing date")
        try:
            if self._strptime is not None:
                return self._strptime(text)
            return datetime.fromisoformat(text)
        except ValueError:
            expected = (
                f"format {self.date_format!r}"
                if self.date_format
                else "ISO 8601 or YYYYMMDD; pass --date-format for others"
            )
            raise FieldError(column, f"cannot read date {text!r} (expected {expected})") from None


# strptime's own patterns for its numeric directives (CPython `_strptime.TimeRE`)
_NUMERIC_DIRECTIVES = {
    "Y": ("year", r"\d\d\d\d"),
    "m": ("month", r"1[0-2]|0[1-9]|[1-9]"),
    "d": ("day", r"3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9]"),
    "H": ("hour", r"2[0-3]|[0-1]\d|\d"),
    "M": ("minute", r"[0-5]\d|\d"),
    "S": ("second", r"6[0-1]|[0-5]\d|\d"),
}


class DateFormat:
    """`datetime.strptime(text, format)`, several times faster for formats of numbers and
    separators only (`%m/%d/%Y %H:%M`, `%d.%m.%Y`): strptime's own regular expression, without
    its per-call locale checks (about 60 µs a call here). Any other directive (`%b`, `%p`, `%z`
    ...) is left to strptime; the same texts are accepted and refused either way."""

    def __init__(self, date_format: str) -> None:
        self.date_format = date_format
        self._pattern = _numeric_pattern(date_format)
        # the position in (year, month, day, hour, minute, second) of each group, in order
        names = [name for name, _ in _NUMERIC_DIRECTIVES.values()]
        groups = self._pattern.groupindex if self._pattern is not None else {}
        self._slots = [names.index(n) for n, _ in sorted(groups.items(), key=lambda g: g[1])]

    def __call__(self, text: str) -> datetime:
        if self._pattern is None:
            return datetime.strptime(text, self.date_format)
        found = self._pattern.match(text)  # as strptime: the first match, then all of it
        if found is None or found.end() != len(text):
            raise ValueError(f"time data {text!r} does not match format {self.date_format!r}")
        parts = [1900, 1, 1, 0, 0, 0]  # strptime's defaults
        for slot, value in zip(self._slots, found.groups(), strict=True):
            parts[slot] = int(value)
        year, month, day, hour, minute, second = parts
        return datetime(year, month, day, hour, minute, second)  # ValueError for 31/2, as strptime


def _numeric_pattern(date_format: str) -> re.Pattern[str] | None:
    """strptime's regular expression for a format of numeric directives, or None."""
    pieces: list[str] = []
    seen: set[str] = set()
    parsed = re.findall(r"([^%]*)(%.|$)", date_format)
    if "".join(a + b for a, b in parsed) != date_format:
        return None  # a stray %: strptime says so
    for literal, directive in parsed:
        if literal:  # as strptime: regex characters escaped, a run of spaces is \s+
            pieces.append(re.sub(r"\\\s+", r"\\s+", re.escape(re.sub(r"\s+", " ", literal))))
        if directive == "%%":
            pieces.append("%")
        elif directive:
            name = directive[1]
            if name not in _NUMERIC_DIRECTIVES or name in seen:
                return None
            seen.add(name)
            group, digits = _NUMERIC_DIRECTIVES[name]
            pieces.append(f"(?P<{group}>{digits})")
    return re.compile("".join(pieces), re.IGNORECASE)
