"""From a parsed `/clv` request to a message: read clv.insights, hand the typed views to a
renderer. One answer reads the current run once and every read is of that run, inside one
snapshot of the store. No SQL and no arithmetic here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from bot.slack.payloads import SUBCOMMANDS, ClvRequest
from bot.slack.render import (
    render_bad_limit,
    render_channels,
    render_cohorts,
    render_customer_card,
    render_funnel,
    render_group,
    render_groups,
    render_help,
    render_model,
    render_no_scores,
    render_notice,
    render_nps,
    render_ranked,
    render_unknown,
    render_why,
)
from clv.insights import (
    MAX_LIST,
    NoScoresError,
    NotScoredYetError,
    RunRef,
    UnknownCustomerError,
    UnknownGroupError,
    all_groups,
    current_ref,
    customer_view,
    dormant_customers,
    group_summary,
    model_status,
    overdue_customers,
    top_customers,
)
from clv.insights.channels import channel_report, funnel_report
from clv.insights.cohorts import UnknownChoiceError, cohort_report, nps_report
from clv.insights.groups import group_names
from clv.insights.lists import record_list
from clv.insights.reports import NoReportError, UnknownChannelError
from clv.insights.suggest import closest, suggest_customers
from clv.outreach.policy import OutreachRules
from clv.present.blocks import escape
from clv.settings import Settings
from clv.store import read_snapshot
from reports.cohort_chart import chart_title, report_chart

Message = dict[str, Any]
DIMENSIONS = ("segment", "tier", "stage")


@dataclass(frozen=True)
class Ask:
    """One answer's reads: the session, the run they are all of, and the settings."""

    session: Session
    run: RunRef
    settings: Settings
    now: datetime
    engine: Engine | None = None  # where a re-engagement list records its arms

    @property
    def rules(self) -> OutreachRules:
        return OutreachRules.of(self.settings)


def _customer(ask: Ask, request: ClvRequest) -> Message:
    view = customer_view(ask.session, request.argument, rules=ask.rules, now=ask.now, run=ask.run)
    return render_customer_card(view)


def _segment(ask: Ask, request: ClvRequest) -> Message:
    return render_group(group_summary(ask.session, request.argument, run=ask.run))


def _segments(ask: Ask, request: ClvRequest) -> Message:
    dimension = request.argument.rstrip("s")
    if dimension not in DIMENSIONS:
        return render_help(f"`/clv segments` takes one of {', '.join(DIMENSIONS)}.")
    return render_groups(all_groups(ask.session, dimension, run=ask.run))


def _ranked(ask: Ask, request: ClvRequest) -> Message:
    if request.kind == "dormant":
        listing = dormant_customers(
            ask.session, limit=request.limit, rules=ask.rules, now=ask.now, run=ask.run
        )
    elif request.kind == "overdue":
        listing = overdue_customers(
            ask.session, limit=request.limit, run=ask.run, rules=ask.rules, now=ask.now
        )
    else:
        listing = top_customers(ask.session, limit=request.limit, run=ask.run)
    if ask.engine is not None and listing.kind != "top":
        record_list(ask.engine, listing, now=ask.now)
    return render_ranked(listing)


def _model(ask: Ask, request: ClvRequest) -> Message:
    settings = ask.settings
    return render_model(model_status(ask.session), currency=settings.currency, zone=settings.tzinfo)


def _channels(ask: Ask, request: ClvRequest) -> Message:
    if request.argument:
        return render_help("`/clv channels` takes no argument; `/clv funnel <channel>` shows one.")
    return render_channels(channel_report(ask.session, run=ask.run))


def _funnel(ask: Ask, request: ClvRequest) -> Message:
    channel = request.argument or None
    return render_funnel(funnel_report(ask.session, channel=channel, run=ask.run))


def _cohorts(ask: Ask, request: ClvRequest) -> Message:
    period = request.argument.lower().rstrip("s") or "month"
    return render_cohorts(cohort_report(ask.session, period=period, run=ask.run))


def _nps(ask: Ask, request: ClvRequest) -> Message:
    by = request.argument.lower().rstrip("s") or "segment"
    minimum = ask.settings.nps_min_responses
    return render_nps(nps_report(ask.session, by=by, min_responses=minimum, run=ask.run))


ANSWERS: dict[str, Callable[[Ask, ClvRequest], Message]] = {
    "customer": _customer,
    "segment": _segment,
    "segments": _segments,
    "dormant": _ranked,
    "top": _ranked,
    "overdue": _ranked,
    "model": _model,
    "channels": _channels,
    "funnel": _funnel,
    "cohorts": _cohorts,
    "nps": _nps,
}
STORELESS: dict[str, Callable[[ClvRequest], Message]] = {
    "help": lambda request: render_help(),
    "bad_limit": lambda request: render_bad_limit(request.argument, MAX_LIST),
}


def did_you_mean(text: str, customers: tuple[str, ...] = ()) -> list[str]:
    """The commands, groups and customers closest to unrecognised input, best first."""
    word, _, rest = text.partition(" ")
    found = [f"/clv {cmd} {rest}".strip() for cmd in closest(word, list(SUBCOMMANDS))]
    found += [f"/clv segment {name.lower()}" for name in closest(text, group_names())]
    if rest:  # "segmnet champions": the command was mistyped, maybe the group as well
        found += [f"/clv segment {name.lower()}" for name in closest(rest, group_names())]
    found += [f"/clv {customer}" for customer in customers]
    return list(dict.fromkeys(found))[:4]


def answer(
    engine: Engine, settings: Settings, request: ClvRequest, *, now: datetime | None = None
) -> Message:
    """The reply to one `/clv` request (ephemeral)."""
    if request.kind in STORELESS:  # no read: help works before the first scoring run
        return STORELESS[request.kind](request)
    with read_snapshot(engine) as session:
        if request.kind == "unknown":  # perhaps a name: "jane doe"
            keys = tuple(s.key for s in suggest_customers(session, request.argument))
            return render_unknown(request.argument, did_you_mean(request.argument, keys))
        try:
            ask = Ask(session, current_ref(session), settings, now or datetime.now(UTC), engine)
            return ANSWERS[request.kind](ask, request)
        except NoScoresError:
            return render_no_scores()
        except NotScoredYetError as exc:
            return render_notice(escape(str(exc)))
        except UnknownCustomerError as exc:
            keys = tuple(s.key for s in exc.suggestions)
            return render_unknown(request.argument, did_you_mean(request.argument, keys))
        except (UnknownGroupError, UnknownChannelError, UnknownChoiceError) as exc:
            return render_help(escape(str(exc)))  # its message names what there is
        except NoReportError as exc:
            return render_notice(escape(str(exc)))


def why(engine: Engine, settings: Settings, key: str) -> Message:
    """The "Why this number?" expansion for one customer."""
    with read_snapshot(engine) as session:
        try:
            run = current_ref(session)
            rules, now = OutreachRules.of(settings), datetime.now(UTC)
            view = customer_view(session, key, rules=rules, now=now, run=run)
            median = group_summary(session, view.scores.segment, top=0, run=run).clv_median
        except (NoScoresError, UnknownCustomerError, NotScoredYetError, UnknownGroupError) as exc:
            return render_notice(escape(str(exc)))
        return render_why(view, median)


def shared_card(engine: Engine, settings: Settings, key: str, user_id: str) -> Message | None:
    """The card with personal data masked, for posting in a channel; None if it is gone."""
    with read_snapshot(engine) as session:
        try:
            rules, now = OutreachRules.of(settings), datetime.now(UTC)
            view = customer_view(session, key, rules=rules, now=now)
        except (NoScoresError, UnknownCustomerError, NotScoredYetError):
            return None
    return render_customer_card(view, masked=True, shared_by=user_id)


def cohort_chart_file(engine: Engine, period: str) -> tuple[bytes, str] | None:
    """The current run's cohort chart (PNG) and its title; None without scores or cohorts."""
    with read_snapshot(engine) as session:
        try:
            report = cohort_report(session, period=period)
        except (NoScoresError, NoReportError, UnknownChoiceError):
            return None
    png = report_chart(report)
    return None if png is None else (png, chart_title(report))
