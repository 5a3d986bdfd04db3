"""Customers named in Slack, read from the store: the links of a `link_shared` event, the
customers a message names, the key typed in the look-up modal. Each read is one snapshot of
the current run; which link or word names a customer is the core's (clv.links,
clv.insights.named); no SQL and no rule here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from clv.insights import (
    CustomerView,
    NoScoresError,
    NotScoredYetError,
    UnknownCustomerError,
    current_ref,
    customer_view,
)
from clv.insights.named import named_customers
from clv.insights.suggest import CustomerSuggestion
from clv.links import customer_link, named_in, parse_patterns
from clv.outreach.policy import OutreachRules
from clv.settings import Settings
from clv.store import read_snapshot


@dataclass(frozen=True)
class Named:
    """What a message names: the first scored customer's view, the other customers' keys."""

    view: CustomerView
    others: tuple[str, ...] = ()


@dataclass(frozen=True)
class NotFound:
    """Why a key or message leads to no card: a sentence (ours, plain), and who may be meant."""

    reason: str
    suggestions: tuple[CustomerSuggestion, ...] = ()


def linked_views(
    engine: Engine, settings: Settings, urls: Sequence[str]
) -> dict[str, CustomerView]:
    """The customer each link names by UNFURL_PATTERNS, for the links that name a scored
    customer; without a link that matches a pattern the store is not read at all."""
    patterns = parse_patterns(settings.unfurl_patterns)
    links = {url: link for url in urls if (link := customer_link(url, patterns)) is not None}
    if not links:
        return {}
    views: dict[str, CustomerView] = {}
    with read_snapshot(engine) as session:
        try:
            run = current_ref(session)
        except NoScoresError:
            return {}
        rules, now = OutreachRules.of(settings), datetime.now(UTC)
        for url, link in links.items():
            try:
                views[url] = customer_view(session, link.value, rules=rules, now=now, run=run)
            except (UnknownCustomerError, NotScoredYetError):
                continue  # not a customer (yet): no unfurl for this link
    return views


def named_in_message(engine: Engine, settings: Settings, text: str) -> Named | NotFound:
    """The first customer `text` names who has scores (links, then emails, then ids)."""
    candidates = named_in(text, parse_patterns(settings.unfurl_patterns))
    with read_snapshot(engine) as session:
        keys = named_customers(session, candidates)
        if not keys:
            return NotFound("no customer link, email address or customer id in that message")
        try:
            run = current_ref(session)
        except NoScoresError:
            return NotFound("there are no scores yet: run `clvbot score` on the server")
        rules, now = OutreachRules.of(settings), datetime.now(UTC)
        for i, key in enumerate(keys):
            try:
                view = customer_view(session, key, rules=rules, now=now, run=run)
            except NotScoredYetError:
                continue
            return Named(view, keys[:i] + keys[i + 1 :])
    return NotFound(f"the customers it names are not scored yet (scores as of {run.as_of})")


def looked_up(engine: Engine, settings: Settings, key: str) -> CustomerView | NotFound:
    """The customer `key` (an id or an email address) names, or why there is none."""
    with read_snapshot(engine) as session:
        try:
            rules = OutreachRules.of(settings)
            return customer_view(session, key, rules=rules, now=datetime.now(UTC))
        except UnknownCustomerError as exc:
            return NotFound("no customer has this id or email address", exc.suggestions)
        except NotScoredYetError as exc:
            return NotFound(f"known, but not scored yet (the scores are as of {exc.as_of})")
        except NoScoresError:
            return NotFound("there are no scores yet: run `clvbot score` on the server")
