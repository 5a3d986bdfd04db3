"""`OUTREACH_OFFER_CODE`: the offer an outreach email carries, one code for everyone or one per
CLV tier, read (and checked) where the setting enters.

Three forms: empty, no offer; a single code (`WELCOME10`), every customer gets it; or
comma-separated `Tier=CODE` pairs (`Platinum=VIP20,Gold=GOLD10`), and a customer in a tier not
listed (or in no tier) gets none. Tiers are the names in `clv.segments.definitions.CLV_TIERS`,
matched ignoring case. A code is 1-40 letters, digits, `-` and `_`, starting with a letter or
digit: it is printed in the email and shown in Slack, so nothing that could be markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clv.segments.definitions import CLV_TIERS

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
_FORMS = "one code such as WELCOME10, or one per tier such as Platinum=VIP20,Gold=GOLD10"


@dataclass(frozen=True)
class OfferCodes:
    everyone: str | None = None  # one code for every customer
    by_tier: tuple[tuple[str, str], ...] = ()  # (tier, code), tiers spelled as defined

    def for_tier(self, tier: str | None) -> str | None:
        """The code a customer of `tier` gets (None: no offer)."""
        if self.everyone is not None:
            return self.everyone
        return dict(self.by_tier).get(tier) if tier else None

    @property
    def setting(self) -> str:
        """The setting written the canonical way (`Platinum=VIP20,Gold=GOLD10`)."""
        if self.everyone is not None:
            return self.everyone
        return ",".join(f"{tier}={code}" for tier, code in self.by_tier)


def parse_offer_codes(value: str) -> OfferCodes:
    """`OUTREACH_OFFER_CODE` read; ValueError naming what is wrong and the forms it takes."""
    value = value.strip()
    if not value:
        return OfferCodes()
    if "=" not in value:
        return OfferCodes(everyone=_code(value))
    known = {tier.name.lower(): tier.name for tier in CLV_TIERS}
    pairs: dict[str, str] = {}
    for part in (p.strip() for p in value.split(",")):
        tier, equals, code = (s.strip() for s in part.partition("="))
        if not equals:
            raise ValueError(f"{part!r} names no tier: use {_FORMS}")
        if tier.lower() not in known:
            raise ValueError(
                f"unknown tier {tier!r} in {value!r}: use any of {', '.join(known.values())}"
            )
        if known[tier.lower()] in pairs:
            raise ValueError(f"tier {known[tier.lower()]} has two offer codes in {value!r}")
        pairs[known[tier.lower()]] = _code(code)
    return OfferCodes(by_tier=tuple(pairs.items()))


def _code(code: str) -> str:
    if not _CODE.fullmatch(code):
        raise ValueError(
            f"{code!r} is not an offer code (1-40 letters, digits, - and _): use {_FORMS}"
        )
    return code
