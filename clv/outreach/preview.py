"""What pressing Send would do, before anyone presses it: the verdict and the exact email.

`preview_outreach` asks the policy (`outreach_eligibility`, the cooldown and the experiment's
arm included) and, for an eligible customer, builds the message with the function the send
service uses (`clv.outreach.compose.compose_message`) and renders it as the smtp backend does.
So what a modal shows is what is sent; only the Message-ID (made when sending) differs. The
send itself still decides again, atomically (`clv.outreach.service.request_outreach`).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection, Engine

from clv.outreach.compose import (
    Recipient,
    RenderedEmail,
    Standing,
    compose_message,
    read_recipient,
    read_standing,
    render_email,
)
from clv.outreach.message import OutreachMessage
from clv.outreach.policy import Eligibility, OutreachRules, outreach_eligibility
from clv.outreach.service import REFUSALS, OutreachResult
from clv.settings import Settings


@dataclass(frozen=True)
class OutreachPreview:
    """The verdict on one customer and, when they may be contacted, the email they would get."""

    customer_id: int
    verdict: Eligibility
    recipient: Recipient | None  # None: no such customer
    standing: Standing
    message: OutreachMessage | None  # None unless eligible
    email: RenderedEmail | None  # None unless eligible; exactly what the backend renders

    @property
    def eligible(self) -> bool:
        return self.verdict.eligible and self.email is not None

    @property
    def template(self) -> str | None:
        return self.message.template if self.message else None

    @property
    def reason(self) -> str:
        """Why they were chosen: "dormant: P(alive) 12% < 30%" or "overdue: next order …"."""
        return self.standing.reason

    @property
    def value_at_stake(self) -> float | None:
        return self.standing.value_at_stake

    def refusal(self) -> OutreachResult | None:
        """What the send would answer for a customer who may not be contacted (None: eligible),
        in the form the outcome renderers take."""
        if self.eligible:
            return None
        verdict = self.verdict
        status = REFUSALS[verdict.code] if verdict.code else "unknown_customer"
        key = self.recipient.key if self.recipient else None
        held = verdict.code == "cooldown"
        return OutreachResult(
            status, self.customer_id, key, None, verdict.last_by if held else None,
            verdict.last_at if held else None, None, verdict.reason, retry_allowed=False,
        )  # fmt: skip


def preview_outreach(
    engine_or_connection: Engine | Connection,
    settings: Settings,
    customer_id: int,
    *,
    now: datetime,
    backend_needs_email: bool,
    requested_by: str = "preview",
    source: str | None = None,
) -> OutreachPreview:
    """The verdict on `customer_id` at `now` and, if eligible, their email as it would be sent.

    `backend_needs_email` is the configured backend's (`OutreachBackend.needs_email`), as the
    send service asks it. Writes only what every reader of the policy writes: the customer's
    arm in the experiment, recorded the first time it is drawn.
    """
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r}: pass a tz-aware `now`")
    now = now.astimezone(settings.tzinfo)  # as the send service reads the day
    rules = replace(OutreachRules.of(settings), require_email=backend_needs_email)
    with _transaction(engine_or_connection) as connection:
        verdict = outreach_eligibility(connection, customer_ids=[customer_id], rules=rules,
                                       now=now)[customer_id]  # fmt: skip
        recipient = read_recipient(connection, customer_id)
        standing = read_standing(connection, customer_id)
        message = None
        if verdict.eligible and recipient is not None:
            message = compose_message(connection, settings, recipient, outreach_id=0,
                                      requested_by=requested_by, source=source,
                                      now=now)  # fmt: skip
    email = render_email(message) if message is not None else None
    return OutreachPreview(customer_id, verdict, recipient, standing, message, email)


def _transaction(engine_or_connection: Engine | Connection) -> AbstractContextManager[Connection]:
    if isinstance(engine_or_connection, Connection):
        return nullcontext(engine_or_connection)
    return engine_or_connection.begin()
