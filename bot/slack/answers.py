"""From a parsed `/clv` request to a message: read clv.insights, hand the data to a renderer.

No SQL and no arithmetic here; every value comes from the read API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from bot.slack.payloads import ClvRequest
from bot.slack.render import (
    render_customer_card,
    render_group,
    render_groups,
    render_help,
    render_model,
    render_no_scores,
    render_notice,
    render_ranked,
    render_unknown,
    render_why,
)
from clv.insights import (
    NoScoresError,
    UnknownCustomerError,
    UnknownGroupError,
    all_groups,
    current_run,
    customer_view,
    dormant_customers,
    group_summary,
    model_status,
    top_customers,
)
from clv.insights.suggest import suggest_customers
from clv.present.blocks import escape
from clv.settings import Settings
from clv.store import read_snapshot

Message = dict[str, Any]
DIMENSIONS = ("segment", "tier", "stage")


def _customer(session: Session, settings: Settings, request: ClvRequest) -> Message:
    view = customer_view(session, request.argument)
    return render_customer_card(view.as_dict(), exponent=settings.currency_exponent)


def _segment(session: Session, settings: Settings, request: ClvRequest) -> Message:
    group = group_summary(session, request.argument)
    as_of = current_run(session).as_of.isoformat()
    return render_group(group.as_dict(), currency=settings.currency, as_of=as_of)


def _segments(session: Session, settings: Settings, request: ClvRequest) -> Message:
    dimension = request.argument.rstrip("s")
    if dimension not in DIMENSIONS:
        return render_help(f"`/clv segments` takes one of {', '.join(DIMENSIONS)}.")
    groups = [g.as_dict() for g in all_groups(session, dimension)]
    as_of = current_run(session).as_of.isoformat()
    return render_groups(groups, dimension=dimension, currency=settings.currency, as_of=as_of)


def _ranked(session: Session, settings: Settings, request: ClvRequest) -> Message:
    read = dormant_customers if request.kind == "dormant" else top_customers
    rows = [r.as_dict() for r in read(session, limit=request.limit)]
    as_of = current_run(session).as_of.isoformat()
    stake = request.kind == "dormant"
    return render_ranked(rows, stake=stake, currency=settings.currency, as_of=as_of)


def _model(session: Session, settings: Settings, request: ClvRequest) -> Message:
    return render_model(model_status(session), currency=settings.currency)


def _unknown(session: Session, settings: Settings, request: ClvRequest) -> Message:
    return render_unknown(request.argument, [])


def _help(session: Session, settings: Settings, request: ClvRequest) -> Message:
    return render_help()


ANSWERS: dict[str, Callable[[Session, Settings, ClvRequest], Message]] = {
    "customer": _customer,
    "segment": _segment,
    "segments": _segments,
    "dormant": _ranked,
    "top": _ranked,
    "model": _model,
    "unknown": _unknown,
    "help": _help,
}


def answer(engine: Engine, settings: Settings, request: ClvRequest) -> Message:
    """The reply to one `/clv` request (ephemeral)."""
    with read_snapshot(engine) as session:
        try:
            return ANSWERS[request.kind](session, settings, request)
        except NoScoresError:
            return render_no_scores()
        except UnknownCustomerError as exc:
            if exc.key != request.argument:  # known, but added after the current run
                return render_notice(escape(str(exc)))
            return render_unknown(request.argument, suggest_customers(session, request.argument))
        except UnknownGroupError as exc:
            return render_help(escape(str(exc)))


def why(engine: Engine, settings: Settings, key: str) -> Message:
    """The "Why this number?" expansion for one customer."""
    with read_snapshot(engine) as session:
        try:
            card = customer_view(session, key).as_dict()
            run_settings = model_status(session)["settings"]
            median = group_summary(session, card["segment"], top=0).clv_median
        except (NoScoresError, UnknownCustomerError, UnknownGroupError) as exc:
            return render_notice(escape(str(exc)))
        return render_why(card, run_settings, median)


def shared_card(engine: Engine, settings: Settings, key: str, user_id: str) -> Message | None:
    """The card with personal data masked, for posting in a channel; None if it is gone."""
    with read_snapshot(engine) as session:
        try:
            card = customer_view(session, key).as_dict()
        except (NoScoresError, UnknownCustomerError):
            return None
    return render_customer_card(
        card, exponent=settings.currency_exponent, masked=True, shared_by=user_id
    )
