"""One click, one message: consent, cooldown claim, send, record.

`request_outreach` is idempotent under double clicks, concurrent clicks and Slack retries:
in ONE transaction it inserts the audit row (`claimed`) and claims the customer's row in
`outreach_contacts` with `INSERT ... ON CONFLICT (customer_id) DO UPDATE ... WHERE the held
claim is older than the cooldown`. Only the transaction that wins the claim sends. The send
happens outside the transaction; afterwards the audit row becomes `sent` or `failed`, and a
failure gives the claim back (to the previous contact, or none) so a retry can send.

Delivery is at most once: if the process dies between the claim and recording the result,
the claim stays held with the audit row `claimed` — the customer may or may not have the
message, so nobody can send another until the cooldown has passed. Never a double email.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from clv.outreach.backends import make_backend, safe_error
from clv.outreach.claims import finish_audit, insert_audit, release_claim, win_claim
from clv.outreach.compose import compose_message, read_recipient
from clv.outreach.holdout import Assignment, assign, record_click
from clv.outreach.message import OutreachBackend, OutreachMessage
from clv.outreach.policy import (
    UNKNOWN,
    Code,
    CustomerFacts,
    LastContact,
    OutreachRules,
    at_risk,
    cooldown_reason,
    current_list_week,
    customer_facts,
    decide,
    last_contacts,
)
from clv.settings import Settings

log = logging.getLogger(__name__)

OutreachStatus = Literal[
    "sent",
    "already_contacted",
    "opted_out",
    "no_address",
    "not_dormant",
    "held_out",
    "failed",
    "unknown_customer",
]
REFUSALS: dict[Code, OutreachStatus] = {
    "unknown": "unknown_customer",
    "opted_out": "opted_out",
    "not_scored": "not_dormant",
    "not_dormant": "not_dormant",
    "held_out": "held_out",
    "no_email": "no_address",
    "cooldown": "already_contacted",
}
SENT_REASONS = {
    "log": "recorded only (OUTREACH_BACKEND=log): nothing was sent",
    "smtp": "sent by email",
    "webhook": "handed to the outreach webhook",
}


@dataclass(frozen=True)
class OutreachResult:
    """What happened to one request. `by`/`at`/`message_id`/`outreach_id` describe the
    request itself, or for `already_contacted` the contact that holds the cooldown."""

    status: OutreachStatus
    customer_id: int
    customer_key: str | None
    outreach_id: int | None
    by: str | None
    at: datetime | None
    message_id: str | None
    reason: str | None  # plain text, no markup
    retry_allowed: bool


def request_outreach(
    engine: Engine,
    settings: Settings,
    *,
    customer_id: int,
    requested_by: str,
    source: str | None = None,
    now: datetime | None = None,
    backend: OutreachBackend | None = None,
) -> OutreachResult:
    """Contact `customer_id` once, if consent and the cooldown allow; see the module docstring.

    The caller has checked that `requested_by` may do this. Raises `OutreachConfigError` when
    no `backend` is given and the configured one lacks a setting.
    """
    if not requested_by.strip():
        raise ValueError("requested_by must name who asked (a Slack user id, or 'cli')")
    if now is not None and now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r}: pass a tz-aware `now`")
    backend = backend or make_backend(settings)
    now = (now or datetime.now(UTC)).astimezone(settings.tzinfo)
    request = _Request(customer_id, requested_by[:64], source[:128] if source else None, now)
    with engine.begin() as connection:
        claimed = _claim(connection, settings, backend, request)
    if isinstance(claimed, OutreachResult):
        log.info("outreach for customer %d refused: %s", customer_id, claimed.status)
        return claimed
    return _send(engine, settings, backend, claimed, request)


@dataclass(frozen=True)
class _Request:
    customer_id: int
    requested_by: str
    source: str | None
    now: datetime


def _claim(
    connection: Connection, settings: Settings, backend: OutreachBackend, request: _Request
) -> OutreachMessage | OutreachResult:
    """Insert the audit row and win the cooldown claim, or record why not."""
    recipient = read_recipient(connection, request.customer_id)
    if recipient is None:
        return _result(request, "unknown_customer", None, reason=UNKNOWN)
    key = recipient.key
    # consent, target, control group and address: the rule every button follows, asked again
    # for every click (a forged click on a held-out customer is refused here)
    rules = replace(OutreachRules.of(settings), require_email=backend.needs_email)
    facts = customer_facts(connection, [request.customer_id]).get(request.customer_id)
    arm = _arm(connection, request.customer_id, facts, rules)
    if arm is not None and not arm.recorded and not arm.held_out:
        # in the contact arm from now on; read back what was recorded: a list recording the
        # customer at the same moment (under another share, say) wins, held out or not
        record_click(connection, arm, request.now)
        arm = _arm(connection, request.customer_id, facts, rules)
    verdict = decide(request.customer_id, facts, None, rules=rules, now=request.now,
                     assignment=arm)  # fmt: skip
    if not verdict.eligible and verdict.code is not None:
        _audit(connection, backend, request, status="refused", reason=verdict.reason)
        return _result(request, REFUSALS[verdict.code], key, reason=verdict.reason or "")
    outreach_id = _audit(connection, backend, request, status="claimed")
    cooldown_days = settings.outreach_cooldown_days
    if not win_claim(
        connection,
        customer_id=request.customer_id,
        outreach_id=outreach_id,
        now=request.now,
        cooldown_days=cooldown_days,
    ):
        holder = last_contacts(connection, customer_ids=[request.customer_id])
        return _refuse_claim(connection, request, key, outreach_id, holder, cooldown_days)

    # the message as the preview shows it: template, link, offer (clv.outreach.compose)
    return compose_message(connection, settings, recipient, outreach_id=outreach_id,
                           requested_by=request.requested_by, source=request.source,
                           now=request.now)  # fmt: skip


def _arm(
    connection: Connection, customer_id: int, facts: CustomerFacts | None, rules: OutreachRules
) -> Assignment | None:
    """The customer's arm in the current list week (None when outreach is not for them)."""
    week = current_list_week(connection)
    if facts is None or week is None or not at_risk(facts):
        return None
    return assign(connection, [(customer_id, facts.key)], week_end=week,
                  rules=rules.holdout)[customer_id]  # fmt: skip


def _refuse_claim(
    connection: Connection,
    request: _Request,
    key: str,
    outreach_id: int,
    holders: dict[int, LastContact],
    cooldown_days: int,
) -> OutreachResult:
    """The claim is held: the audit row becomes `refused`, and the holder is reported."""
    holder = holders.get(request.customer_id)
    if holder is None:  # handed back between our claim attempt and this read
        reason = "another outreach to this customer was requested at the same moment"
    else:
        reason = cooldown_reason(holder, cooldown_days=cooldown_days, now=request.now)
    finish_audit(connection, outreach_id, status="refused", at=request.now, reason=reason)
    if holder is None:
        return _result(request, "already_contacted", key, reason=reason)
    return OutreachResult(
        "already_contacted", request.customer_id, key, holder.outreach_id, holder.by,
        holder.at, holder.message_id, reason, retry_allowed=False,
    )  # fmt: skip


def _send(
    engine: Engine,
    settings: Settings,
    backend: OutreachBackend,
    message: OutreachMessage,
    request: _Request,
) -> OutreachResult:
    started = time.monotonic()
    try:
        message_id = backend.send(message)
    except Exception as exc:  # any failure: record it, give the claim back
        error = safe_error(exc, settings)
        finished = request.now + timedelta(seconds=time.monotonic() - started)
        with engine.begin() as connection:
            finish_audit(connection, message.outreach_id, status="failed", at=finished,
                         reason=error)  # fmt: skip
            release_claim(
                connection, customer_id=message.customer_id, outreach_id=message.outreach_id
            )
        log.warning("outreach %d for customer %d failed: %s", message.outreach_id,
                    message.customer_id, error)  # fmt: skip
        return OutreachResult(
            "failed", message.customer_id, message.customer_key, message.outreach_id,
            request.requested_by, finished, None, f"sending failed: {error}", retry_allowed=True,
        )  # fmt: skip
    finished = request.now + timedelta(seconds=time.monotonic() - started)
    reason = SENT_REASONS.get(backend.name, f"sent through {backend.name}")
    try:
        with engine.begin() as connection:
            finish_audit(connection, message.outreach_id, status="sent", at=finished,
                         message_id=message_id)  # fmt: skip
    except SQLAlchemyError:
        # sent, but not recorded: the claim stays held, so it is never sent twice
        log.exception("outreach %d was sent but could not be recorded", message.outreach_id)
        reason += "; recording it failed (see the log)"
    log.info("outreach %d for customer %d sent through %s", message.outreach_id,
             message.customer_id, backend.name)  # fmt: skip
    return OutreachResult(
        "sent", message.customer_id, message.customer_key, message.outreach_id,
        request.requested_by, finished, message_id, reason, retry_allowed=False,
    )  # fmt: skip


def _audit(
    connection: Connection,
    backend: OutreachBackend,
    request: _Request,
    *,
    status: str,
    reason: str | None = None,
) -> int:
    return insert_audit(
        connection,
        customer_id=request.customer_id,
        requested_by=request.requested_by,
        requested_at=request.now,
        source=request.source,
        backend=backend.name,
        status=status,
        reason=reason,
    )


def _result(
    request: _Request, status: OutreachStatus, key: str | None, *, reason: str
) -> OutreachResult:
    return OutreachResult(
        status, request.customer_id, key, None, None, None, None, reason, retry_allowed=False
    )
