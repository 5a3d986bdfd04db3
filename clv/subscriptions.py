"""Digest subscriptions: a channel's delivery of the digest, of the whole shop or of one
group, weekly or monthly, at a time of day in a time zone of its own; and what
`/clv subscribe …` asks for, parsed and checked, pure (the rows: `clv.store.subscriptions`).

The default delivery (DIGEST_CHANNEL at DIGEST_CRON in TIMEZONE) is not a row: the
configuration is its one source, so changing DIGEST_CRON changes it and unsetting
DIGEST_CHANNEL ends it, as before subscriptions existed; its claims are those of
subscription "default" (`DEFAULT_KEY`).

    [segment|tier|channel <name>] [weekly|monthly] [day] [HH:MM] [time zone]

Omitted parts default to the whole shop, weekly, Monday (the 1st for monthly), 09:00 and the
shop's TIMEZONE. A day is a weekday (`mon`, `monday`) for a weekly digest, a day of the month
from 1 to 28 (every month has it) for a monthly one; a time zone is an IANA name, checked
with zoneinfo. Every wrong word gets a message naming it and the forms accepted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from clv.errors import UserFacingError
from clv.insights.reports import match_name
from clv.insights.scope import (
    DIMENSIONS,
    Dimension,
    GroupScope,
    find_scope,
    segment_names,
    tier_names,
)
from clv.insights.suggest import closest
from clv.segments.definitions import PROSPECTS
from clv.settings import Settings

Cadence = Literal["weekly", "monthly"]
CADENCES: tuple[Cadence, ...] = ("weekly", "monthly")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CRON_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # APScheduler's names
MAX_MONTH_DAY = 28
DEFAULT_HOUR, DEFAULT_MINUTE = 9, 0
DEFAULT_KEY = "default"
USAGE = (
    "`/clv subscribe [segment|tier|channel <name>] [weekly|monthly] [day] [HH:MM] "
    "[time zone]`, e.g. `/clv subscribe tier Gold weekly mon 09:00 Europe/Berlin` or "
    "`/clv subscribe monthly 1 08:30 America/Los_Angeles`"
)
_DAY_WORDS: dict[str, int] = {
    **{name.lower(): i for i, name in enumerate(WEEKDAYS)},
    **{name: i for i, name in enumerate(CRON_DAYS)},
    "tues": 1, "weds": 2, "thur": 3, "thurs": 3,
}  # fmt: skip
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_MONTH_DAY = re.compile(r"^(\d{1,2})(st|nd|rd|th)?$")


class SubscriptionSyntaxError(UserFacingError, ValueError):
    """A word of `/clv subscribe` that is not one of the accepted forms."""


@dataclass(frozen=True)
class Schedule:
    """When a subscription is delivered: its cadence, day, local time and zone."""

    cadence: Cadence
    day: int  # weekly: 0 = Monday .. 6 = Sunday; monthly: 1 .. 28
    hour: int
    minute: int
    timezone: str  # an IANA name zoneinfo knows

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def crontab(self) -> str:
        """The crontab expression of the schedule, in APScheduler's day names (the default
        digest's DIGEST_CRON is one too: every delivery has its trigger built the same way)."""
        if self.cadence == "weekly":
            return f"{self.minute} {self.hour} * * {CRON_DAYS[self.day]}"
        return f"{self.minute} {self.hour} {self.day} * *"

    def describe(self) -> str:
        """ "weekly on Monday at 09:00 Europe/Berlin", "monthly on the 1st at 08:30 UTC"."""
        at = f"{self.hour:02d}:{self.minute:02d} {self.timezone}"
        if self.cadence == "weekly":
            return f"weekly on {WEEKDAYS[self.day]} at {at}"
        return f"monthly on the {ordinal(self.day)} at {at}"


def ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def delivery_key(channel: str, scope: GroupScope | None, schedule: Schedule) -> str:
    """The columns that define a subscription, in one string ("C123|tier|Gold|weekly|0|09:00|
    Europe/Berlin"): unique in the store, so the same subscription is stored once. Only the
    group's name is free text, and every part after it has a fixed form: it is unambiguous."""
    dimension, name = (scope.dimension, scope.name) if scope else ("", "")
    return "|".join((channel, dimension, name, schedule.cadence, str(schedule.day),
                     f"{schedule.hour:02d}:{schedule.minute:02d}", schedule.timezone))  # fmt: skip


@dataclass(frozen=True)
class SubscriptionRequest:
    scope: GroupScope | None  # None: the whole shop
    schedule: Schedule


@dataclass(frozen=True)
class Subscription:
    """One delivery of the digest: where, of whom, and when (a crontab in its zone)."""

    key: str  # DEFAULT_KEY, or the row's id: what its claims are recorded under
    channel: str
    scope: GroupScope | None  # None: the whole shop
    cadence: Cadence
    crontab: str
    timezone: str
    schedule: Schedule | None = None  # None: the default delivery, at DIGEST_CRON
    id: int | None = None
    created_by: str | None = None
    created_at: datetime | None = None

    @property
    def is_default(self) -> bool:
        return self.id is None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def describe_schedule(self) -> str:
        if self.schedule is not None:
            return self.schedule.describe()
        return f"DIGEST_CRON `{self.crontab}` in {self.timezone}"


@dataclass(frozen=True)
class SubscriptionSummary:
    """What a listing says of one delivery, in plain text: `/clv subscriptions` and
    `clvbot digest subscriptions` both show these words (the Slack renderer escapes them)."""

    number: str  # "default", or "#3": what `/clv unsubscribe` takes
    channel: str
    group: str  # "whole shop", "Gold tier", "At Risk segment"
    cadence: Cadence
    schedule: str  # "weekly on Monday at 09:00 Europe/Berlin"
    set_by: str | None  # the default's: "DIGEST_CHANNEL and DIGEST_CRON"


def summarize(subscription: Subscription) -> SubscriptionSummary:
    scope = subscription.scope
    return SubscriptionSummary(
        number="default" if subscription.is_default else f"#{subscription.key}",
        channel=subscription.channel,
        group="whole shop" if scope is None else scope.label,
        cadence=subscription.cadence,
        schedule=subscription.describe_schedule(),
        set_by="DIGEST_CHANNEL and DIGEST_CRON" if subscription.is_default else None,
    )


def default_subscription(settings: Settings) -> Subscription | None:
    """DIGEST_CHANNEL's weekly digest of the whole shop at DIGEST_CRON (None: not set)."""
    if not settings.digest_channel:
        return None
    return Subscription(DEFAULT_KEY, settings.digest_channel, None, "weekly",
                        settings.digest_cron, settings.timezone)  # fmt: skip


def parse_subscription(
    text: str, *, default_zone: str, channels: Sequence[str]
) -> SubscriptionRequest:
    """Parse the words after `/clv subscribe`; `channels`: the known acquisition channels.

    Raises SubscriptionSyntaxError (a wrong word) or UnknownScopeError (no such group).
    """
    words = text.split()
    scope, rest = _take_group(words, channels)
    return SubscriptionRequest(scope, _schedule(rest, default_zone))


def _take_group(words: list[str], channels: Sequence[str]) -> tuple[GroupScope | None, list[str]]:
    """The group named first, if any (the longest run of words that names one: group names
    have spaces, "Can't Lose Them"), and the words after it."""
    if not words or words[0].lower() not in DIMENSIONS:
        return None, words
    dimension = DIMENSIONS[DIMENSIONS.index(words[0].lower())]
    rest = words[1:]
    if not rest or _is_schedule_word(rest[0]):
        raise SubscriptionSyntaxError(
            f"`{dimension}` needs the name of a {_what(dimension)} after it: "
            f"`/clv subscribe {dimension} <name> …`; {_names_hint(dimension, channels)}"
        )
    names = _names(dimension, channels)
    for k in range(len(rest), 0, -1):
        phrase = " ".join(rest[:k])
        if match_name(phrase, names) is not None:
            return find_scope(dimension, phrase, channels=channels), rest[k:]
    end = next((i for i, w in enumerate(rest) if i and _is_schedule_word(w)), len(rest))
    find_scope(dimension, " ".join(rest[:end]), channels=channels)  # raises, with suggestions
    raise AssertionError("find_scope found a name match_name did not")  # pragma: no cover


def _names(dimension: Dimension, channels: Sequence[str]) -> list[str]:
    if dimension == "segment":
        return [*segment_names(), PROSPECTS.name]  # Prospects: refused by find_scope, saying why
    return tier_names() if dimension == "tier" else list(channels)


def _what(dimension: Dimension) -> str:
    return "acquisition channel" if dimension == "channel" else dimension


def _names_hint(dimension: Dimension, channels: Sequence[str]) -> str:
    names = segment_names() if dimension == "segment" else _names(dimension, channels)
    if not names:
        return "no customer was imported with a channel"
    return f"{_what(dimension)}s: " + ", ".join(names)


def _is_schedule_word(word: str) -> bool:
    low = word.lower()
    return (
        low in CADENCES
        or low in _DAY_WORDS
        or bool(_TIME.match(low) or _MONTH_DAY.match(low))
        or "/" in word
        or low in _zones_by_lower()
    )


@dataclass
class _Parts:
    cadence: Cadence | None = None
    weekday: int | None = None
    month_day: int | None = None
    time: tuple[int, int] | None = None
    zone: str | None = None
    words: dict[str, str] | None = None  # which word set each part, for the messages

    def set(self, part: str, value: object, word: str) -> None:
        self.words = self.words or {}
        if part in self.words:
            raise SubscriptionSyntaxError(
                f"`{self.words[part]}` and `{word}`: say one {part.replace('_', ' ')}; {USAGE}"
            )
        self.words[part] = word
        setattr(self, part, value)


def _schedule(words: list[str], default_zone: str) -> Schedule:
    parts = _Parts()
    for word in words:
        low = word.lower()
        if low in CADENCES:
            parts.set("cadence", low, word)
        elif low in _DAY_WORDS:
            parts.set("weekday", _DAY_WORDS[low], word)
        elif match := _MONTH_DAY.match(low):
            parts.set("month_day", _month_day(int(match.group(1)), word), word)
        elif match := _TIME.match(low):
            parts.set("time", _time(int(match.group(1)), int(match.group(2)), word), word)
        elif "/" in word or low in _zones_by_lower():
            parts.set("zone", to_zone(word), word)
        else:
            raise SubscriptionSyntaxError(_unknown_word(word))
    return _checked(parts, default_zone)


def _checked(parts: _Parts, default_zone: str) -> Schedule:
    said = parts.words or {}
    cadence: Cadence = parts.cadence or "weekly"
    if cadence == "monthly" and parts.weekday is not None:
        raise SubscriptionSyntaxError(
            f"a monthly digest is delivered on a day of the month, 1 to {MAX_MONTH_DAY}, not "
            f"on `{said['weekday']}`: e.g. `monthly 1 09:00`"
        )
    if cadence == "weekly" and parts.month_day is not None:
        raise SubscriptionSyntaxError(
            f"`{said['month_day']}` is a day of the month: say `monthly {said['month_day']}`, "
            "or a weekday (`mon` … `sun`) for a weekly digest"
        )
    day = parts.weekday if cadence == "weekly" else parts.month_day
    hour, minute = parts.time or (DEFAULT_HOUR, DEFAULT_MINUTE)
    default = 0 if cadence == "weekly" else 1
    return Schedule(cadence, default if day is None else day, hour, minute,
                    parts.zone or default_zone)  # fmt: skip


def _month_day(day: int, word: str) -> int:
    if not 1 <= day <= MAX_MONTH_DAY:
        raise SubscriptionSyntaxError(
            f"`{word}` is not a day a monthly digest can use: say 1 to {MAX_MONTH_DAY} "
            "(every month has them), e.g. `monthly 1`"
        )
    return day


def _time(hour: int, minute: int, word: str) -> tuple[int, int]:
    if hour > 23 or minute > 59:
        raise SubscriptionSyntaxError(
            f"`{word}` is not a time of day: use HH:MM on a 24-hour clock, 00:00 to 23:59 "
            "(e.g. 09:00 or 17:30)"
        )
    return hour, minute


@lru_cache(maxsize=1)
def _zones_by_lower() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def to_zone(word: str) -> str:
    """The IANA name `word` spells (its case forgiven), or SubscriptionSyntaxError."""
    try:
        ZoneInfo(word)
        return word
    except (ZoneInfoNotFoundError, ValueError):
        pass
    found = _zones_by_lower().get(word.lower())
    if found is not None:
        return found
    near = closest(word, sorted(_zones_by_lower().values()), limit=2, cutoff=0.7)
    hint = f" Did you mean {' or '.join(near)}?" if near else ""
    raise SubscriptionSyntaxError(
        f"`{word}` is not a time zone: use an IANA name such as Europe/Berlin, "
        f"America/Los_Angeles or UTC.{hint}"
    )


def _unknown_word(word: str) -> str:
    choices = [*CADENCES, *WEEKDAYS, *DIMENSIONS]
    near = closest(word, choices, limit=1, cutoff=0.7)
    hint = f" Did you mean `{near[0].lower()}`?" if near else ""
    for dimension, names in (("tier", tier_names()), ("segment", segment_names())):
        if (name := match_name(word, names)) is not None:  # the group came without its kind
            hint = f" For the {name} {dimension}, say `{dimension} {name}` first."
    return (
        f"I don't understand `{word}`: after the group come `weekly` or `monthly`, a day "
        f"(`mon` … `sun`, or 1 to {MAX_MONTH_DAY} for monthly), a time (HH:MM) and a time zone "
        f"(an IANA name such as Europe/Berlin).{hint} Usage: {USAGE}"
    )
