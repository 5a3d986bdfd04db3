"""Which list an export holds, and its rows: every customer of the list, read in batches.

The lists: `dormant` and `overdue` (the re-engagement lists, by value at stake, as `/clv dormant`
ranks them), and a group by predicted CLV: `segment <name>` takes any segment, CLV tier or
lifecycle stage (as `/clv segment` does), `tier <name>` a CLV tier only. An export is not capped
at `clv.insights.lists.MAX_LIST` (a Slack message's worth): it holds the whole list, streamed
from one snapshot of the store `BATCH` rows at a time, so memory stays bounded whatever the
size of the shop.

Each row carries the outreach policy's verdict (`clv.outreach.policy.outreach_eligibility`, asked
per batch) in the run's list week. An export shows customers with their experiment arm, so it
records the arms of the at-risk customers it shows (`clv.outreach.holdout.record`, source
"export") the way every re-engagement list does: in one transaction that commits once every row
went to the sink. The contact status in the file is then the one the send service enforces,
and an export that fails part way records nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Protocol

from sqlalchemy import ColumnElement, Connection, Engine, Select, select
from sqlmodel import Session

from clv.errors import UserFacingError
from clv.insights.groups import find_group
from clv.insights.runs import RunRef, current_ref
from clv.insights.suggest import closest
from clv.outreach.holdout import Arm, ListEntry, record
from clv.outreach.policy import Code, CustomerFacts, Eligibility, OutreachRules
from clv.outreach.policy import outreach_eligibility as policy_verdicts
from clv.scoring.weeks import week_end
from clv.segments.definitions import CLV_TIERS, normalise
from clv.store import read_snapshot
from clv.store.tables import customer_scores_table as scores
from clv.store.tables import customers_table as customers

BATCH = 1_000  # rows read, decided and recorded at a time
SOURCE = "export"  # the assignments' source
USAGE = "dormant, overdue, segment <name> or tier <name>"
Kind = Literal["dormant", "overdue", "segment", "tier", "stage"]
_KINDS: dict[str, Kind] = {"dormant": "dormant", "overdue": "overdue", "segment": "segment",
                           "tier": "tier", "stage": "stage"}  # fmt: skip
# the policy's refusal codes as the file's contact status; None: may be contacted
STATUS: dict[Code | None, str] = {
    None: "contact",
    "held_out": "held out",
    "opted_out": "opted out",
    "cooldown": "cooldown",
    "no_email": "no email",
    "not_dormant": "not at risk",
    "not_scored": "not scored",
    "unknown": "unknown",
}


class UnknownListError(UserFacingError, LookupError):
    """Not a list an export knows; the message says what is wrong and what there is."""


@dataclass(frozen=True)
class ListChoice:
    """The list to export: dormant, overdue, or one segment, tier or stage (`name`)."""

    kind: Kind
    name: str | None = None  # the group's name as clvbot spells it; None for dormant/overdue

    @property
    def label(self) -> str:
        """'dormant customers', 'segment Champions', 'tier Platinum'."""
        return f"{self.kind} customers" if self.name is None else f"{self.kind} {self.name}"

    def phrase(self, count: int | None = None) -> str:
        """'the 137 dormant customers', 'the customers in segment Champions'."""
        number = "" if count is None else f"{count:,} "
        if self.name is None:
            return f"the {number}{self.kind} customers"
        return f"the {number}customers in {self.label}"

    @property
    def slug(self) -> str:
        """For file names: 'dormant', 'segment-cant-lose-them'."""
        words = (self.name or "").lower().replace("'", "").replace("’", "")
        return "-".join([self.kind, *("".join(c if c.isalnum() else " " for c in words).split())])

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "label": self.label}


def parse_list(text: str) -> ListChoice:
    """The list named by `text` (what follows `export`): UnknownListError or, for a segment
    that does not exist, `clv.insights.groups.UnknownGroupError` (both say what there is)."""
    word, _, rest = " ".join(text.split()).partition(" ")
    word = word.lower()
    if word in ("dormant", "overdue"):
        if rest:
            raise UnknownListError(f"the {word} list takes no name; export takes {USAGE}")
        return ListChoice(_KINDS[word])
    if word == "segment":
        if not rest:
            raise UnknownListError("name the segment (or CLV tier, or stage): segment <name>")
        dimension, name, _, _ = find_group(rest)
        return ListChoice(_KINDS[dimension], name)
    if word == "tier":
        return ListChoice("tier", _tier(rest))
    if not word:
        raise UnknownListError(f"export what? It takes {USAGE}")
    hint = closest(word, ["dormant", "overdue", "segment", "tier"])
    guess = f"; did you mean {hint[0]}?" if hint else ""
    raise UnknownListError(f"no list called {word!r}: export takes {USAGE}{guess}")


def _tier(name: str) -> str:
    tiers = [tier.name for tier in CLV_TIERS]
    for tier in tiers:
        if normalise(tier) == normalise(name) and name:
            return tier
    hint = closest(name, tiers, cutoff=0.5) if name else []
    guess = f"did you mean {hint[0]}? " if hint else ""
    what = f"no CLV tier called {name!r}" if name else "name the tier"
    raise UnknownListError(f"{what}; {guess}tiers: {', '.join(tiers)}")


def export_filename(choice: ListChoice, run: RunRef, suffix: str = "csv") -> str:
    """'clv-dormant-2026-11-29.csv': the list and the day of the scores it holds."""
    return f"clv-{choice.slug}-{run.as_of.isoformat()}.{suffix}"


@dataclass(frozen=True)
class ContactStatus:
    """The outreach policy's verdict on a row, as an export writes it."""

    status: str  # contact | held out | opted out | cooldown | no email | not at risk | ...
    reason: str | None  # the policy's words (None: may be contacted)
    arm: Arm | None  # the experiment's arm; None for customers not at risk
    list_week: date | None

    @classmethod
    def of(cls, verdict: Eligibility) -> ContactStatus:
        arm = verdict.assignment
        return cls(STATUS[verdict.code], verdict.reason, arm.arm if arm else None,
                   arm.week_end if arm else None)  # fmt: skip


@dataclass(frozen=True)
class ExportRow:
    """One customer of an exported list, with the values of the run it came from."""

    customer_id: str  # the shop's id
    email: str | None
    name: str | None
    segment: str
    tier: str | None
    stage: str
    predicted_clv: float
    clv_low: float | None  # the CLV_INTERVAL range (None: none stored)
    clv_high: float | None
    historical_value_minor: int
    p_alive: float | None
    days_since_last: int | None
    value_at_stake: float
    dormant: bool
    overdue: bool
    dormant_reason: str | None
    next_order_on: date | None
    contact: ContactStatus

    @property
    def reason(self) -> str:
        """Why the customer is at risk: the stored dormant reason, or since when overdue."""
        if self.dormant:
            return self.dormant_reason or "dormant"
        if self.overdue:
            return f"overdue since {self.next_order_on}" if self.next_order_on else "overdue"
        return ""


@dataclass(frozen=True)
class ExportSummary:
    """What an export held: its run and list, how many rows, per arm and per contact status."""

    run: RunRef
    choice: ListChoice
    rows: int
    arms: tuple[tuple[str, int], ...]  # (arm, customers), contact first
    statuses: tuple[tuple[str, int], ...]  # (contact status, customers), most first
    recorded: int  # assignments this export recorded (shown in this list week for the first time)

    def arm(self, name: str) -> int:
        return dict(self.arms).get(name, 0)


class ExportSink(Protocol):
    """Where an export's rows go (a CSV, a JSON document): told the run first, then every
    batch in order, then the summary once the last row was written."""

    def begin(self, run: RunRef, choice: ListChoice) -> None: ...

    def write(self, rows: Sequence[ExportRow]) -> None: ...

    def finish(self, summary: ExportSummary) -> None: ...


class Tee:
    """One export into several sinks (a file and the webhook's document)."""

    def __init__(self, *sinks: ExportSink) -> None:
        self.sinks = sinks

    def begin(self, run: RunRef, choice: ListChoice) -> None:
        for sink in self.sinks:
            sink.begin(run, choice)

    def write(self, rows: Sequence[ExportRow]) -> None:
        for sink in self.sinks:
            sink.write(rows)

    def finish(self, summary: ExportSummary) -> None:
        for sink in self.sinks:
            sink.finish(summary)


def export_list(
    engine: Engine,
    choice: ListChoice,
    sink: ExportSink,
    *,
    rules: OutreachRules,
    now: datetime,
    batch: int = BATCH,
) -> ExportSummary:
    """Every customer of `choice` in the current run into `sink`, with the policy's verdict at
    `now`; the arms shown are recorded once the sink took the last row (see the module
    docstring). NoScoresError before the first run."""
    arms: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    rows = recorded = 0
    with read_snapshot(engine) as session, engine.begin() as connection:
        run = current_ref(session)
        sink.begin(run, choice)
        for found in _batches(session, run, choice, batch):
            exported, entries = _decided(session, run, found, rules, now)
            recorded += _record(connection, entries, now)
            sink.write(exported)
            rows += len(exported)
            arms.update(r.contact.arm for r in exported if r.contact.arm)
            statuses.update(r.contact.status for r in exported)
        order = sorted(arms.items(), key=lambda item: item[0] != "contact")
        summary = ExportSummary(run, choice, rows, tuple(order),
                                tuple(statuses.most_common()), recorded)  # fmt: skip
        sink.finish(summary)
    return summary


_COLUMNS = (
    customers.c.id,
    customers.c.external_id,
    customers.c.email,
    customers.c.name,
    customers.c.opted_out,
    scores.c.segment,
    scores.c.tier,
    scores.c.stage,
    scores.c.predicted_clv,
    scores.c.clv_low,
    scores.c.clv_high,
    scores.c.historical_value_minor,
    scores.c.p_alive,
    scores.c.days_since_last,
    scores.c.value_at_stake,
    scores.c.dormant,
    scores.c.overdue,
    scores.c.dormant_reason,
    scores.c.next_order_on,
)


def list_query(run: RunRef, choice: ListChoice) -> Select[Any]:
    """The rows of `choice` in `run`, in the list's order (ties by the shop's customer id)."""
    where: ColumnElement[bool]
    if choice.kind in ("dormant", "overdue"):
        flag = scores.c.dormant if choice.kind == "dormant" else scores.c.overdue
        where, order = flag.is_(True), scores.c.value_at_stake.desc()
    else:
        column = {"segment": scores.c.segment, "tier": scores.c.tier, "stage": scores.c.stage}
        where, order = column[choice.kind] == choice.name, scores.c.predicted_clv.desc()
    return (
        select(*_COLUMNS)
        .join(customers, customers.c.id == scores.c.customer_id)
        .where(scores.c.run_id == run.run_id, where)
        .order_by(order, customers.c.external_id)
    )


def _batches(session: Session, run: RunRef, choice: ListChoice, size: int) -> Iterator[list[Any]]:
    # yield_per streams the one query (a server-side cursor on PostgreSQL), `size` rows a time
    result = session.execute(list_query(run, choice), execution_options={"yield_per": size})
    for partition in result.partitions():
        yield list(partition)


def _decided(
    session: Session, run: RunRef, found: list[Any], rules: OutreachRules, now: datetime
) -> tuple[list[ExportRow], list[ListEntry]]:
    facts = {r.id: CustomerFacts(bool(r.opted_out), r.email, bool(r.dormant), bool(r.overdue),
                                 r.external_id) for r in found}  # fmt: skip
    verdicts = policy_verdicts(session, customer_ids=list(facts), rules=rules, now=now,
                               known=facts, week_end=week_end(run.as_of))  # fmt: skip
    rows, entries = [], []
    for r in found:
        verdict = verdicts[r.id]
        rows.append(ExportRow(
            r.external_id, r.email, r.name, r.segment, r.tier, r.stage, float(r.predicted_clv),
            r.clv_low, r.clv_high, int(r.historical_value_minor), r.p_alive, r.days_since_last,
            float(r.value_at_stake), bool(r.dormant), bool(r.overdue), r.dormant_reason,
            r.next_order_on, ContactStatus.of(verdict),
        ))  # fmt: skip
        if verdict.assignment is not None and not verdict.assignment.recorded:
            reason = "dormant" if r.dormant else "overdue"
            entries.append(ListEntry(verdict.assignment, reason, r.tier, r.segment,
                                     float(r.predicted_clv)))  # fmt: skip
    return rows, entries


def _record(connection: Connection, entries: list[ListEntry], now: datetime) -> int:
    if not entries:
        return 0
    # SQLAlchemy keeps an INSERT's rowcount only when asked (psycopg reports -1 otherwise)
    return record(connection.execution_options(preserve_rowcount=True), entries,
                  source=SOURCE, now=now)  # fmt: skip
