"""request_outreach end to end on SQLite and PostgreSQL: one click, one message."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from clv.outreach import OutreachMessage, OutreachResult, make_backend, request_outreach
from clv.settings import Settings
from clv.store import make_engine
from clv.store.tables import outreach_contacts_table, outreach_table
from tests.outreach.conftest import (
    NOW,
    SmtpServer,
    add_customer,
    days_ago,
    smtp_settings,
    sqlite_only,
)


def audit(engine: Engine) -> list[tuple[str, str, str | None]]:
    """(requested_by, status, reason) of every outreach row, in order."""
    query = select(outreach_table.c.requested_by, outreach_table.c.status, outreach_table.c.reason)
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query.order_by(outreach_table.c.id))]


def claims(engine: Engine) -> dict[int, int]:
    """customer id -> the outreach id holding their cooldown claim."""
    query = select(outreach_contacts_table.c.customer_id, outreach_contacts_table.c.outreach_id)
    with engine.connect() as connection:
        return {row.customer_id: row.outreach_id for row in connection.execute(query)}


def test_double_click_sends_one_email(
    engine: Engine, settings: Settings, smtp_server: SmtpServer
) -> None:
    settings = smtp_settings(settings, smtp_server.port)
    customer = add_customer(engine, "C1", name="Ann", last_order=days_ago(120))

    first = request_outreach(engine, settings, customer_id=customer, requested_by="U1", now=NOW)
    second = request_outreach(
        engine, settings, customer_id=customer, requested_by="U2", now=NOW + timedelta(seconds=1)
    )

    assert first.status == "sent"
    assert first.message_id == smtp_server.messages[0]["Message-ID"]
    assert second.status == "already_contacted"
    assert (second.by, second.outreach_id, second.message_id) == (
        "U1", first.outreach_id, first.message_id
    )  # fmt: skip
    assert second.reason == "contacted on 2024-06-02 by U1; next possible on 2024-07-02"
    assert not second.retry_allowed
    assert len(smtp_server.messages) == 1
    assert audit(engine) == [("U1", "sent", None), ("U2", "refused", second.reason)]


def test_concurrent_clicks_send_one_email(
    engine: Engine, settings: Settings, smtp_server: SmtpServer
) -> None:
    settings = smtp_settings(settings, smtp_server.port)
    customer = add_customer(engine, "C1", name="Ann", last_order=days_ago(120))
    backend = make_backend(settings)
    clicks = 8
    start = threading.Barrier(clicks)
    results: list[OutreachResult] = []

    def click(user: str) -> None:
        start.wait()
        results.append(
            request_outreach(
                engine, settings, customer_id=customer, requested_by=user, now=NOW, backend=backend
            )
        )

    threads = [threading.Thread(target=click, args=(f"U{i}",)) for i in range(clicks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(smtp_server.messages) == 1
    statuses = sorted(result.status for result in results)
    assert statuses == ["already_contacted"] * (clicks - 1) + ["sent"]
    winner = next(result for result in results if result.status == "sent")
    assert {r.by for r in results if r.status == "already_contacted"} == {winner.by}
    assert sorted(status for _, status, _ in audit(engine)) == ["refused"] * 7 + ["sent"]
    assert claims(engine) == {customer: winner.outreach_id}


def test_opted_out_customer_is_never_contacted(
    engine: Engine, settings: Settings, smtp_server: SmtpServer
) -> None:
    settings = smtp_settings(settings, smtp_server.port)
    customer = add_customer(engine, "C1", opted_out=True, last_order=days_ago(120))

    result = request_outreach(engine, settings, customer_id=customer, requested_by="U1", now=NOW)

    assert (result.status, result.reason, result.retry_allowed) == (
        "opted_out", "opted out of marketing", False
    )  # fmt: skip
    assert smtp_server.messages == []
    assert audit(engine) == [("U1", "refused", "opted out of marketing")]
    assert claims(engine) == {}


def test_cooldown_refuses_then_allows(engine: Engine, settings: Settings) -> None:
    customer = add_customer(engine, "C1", last_order=days_ago(200))  # log backend

    first = request_outreach(engine, settings, customer_id=customer, requested_by="U1", now=NOW)
    early = request_outreach(
        engine, settings, customer_id=customer, requested_by="U2", now=NOW + timedelta(days=29)
    )
    later = request_outreach(
        engine, settings, customer_id=customer, requested_by="U2", now=NOW + timedelta(days=30)
    )

    assert first.status == "sent"
    assert first.reason == "recorded only (OUTREACH_BACKEND=log): nothing was sent"
    assert early.status == "already_contacted"
    assert early.reason == "contacted on 2024-06-02 by U1; next possible on 2024-07-02"
    assert later.status == "sent"
    assert [status for _, status, _ in audit(engine)] == ["sent", "refused", "sent"]
    assert claims(engine) == {customer: later.outreach_id}


@sqlite_only
def test_cooldown_days_come_from_the_settings(engine: Engine, settings: Settings) -> None:
    settings = settings.model_copy(update={"outreach_cooldown_days": 7})
    customer = add_customer(engine, "C1")
    request_outreach(engine, settings, customer_id=customer, requested_by="U1", now=NOW)

    again = request_outreach(
        engine, settings, customer_id=customer, requested_by="U1", now=NOW + timedelta(days=7)
    )

    assert again.status == "sent"


@sqlite_only
def test_customer_without_email_gets_no_email(
    engine: Engine, settings: Settings, smtp_server: SmtpServer
) -> None:
    customer = add_customer(engine, "C1", email=None)

    by_email = request_outreach(
        engine, smtp_settings(settings, smtp_server.port), customer_id=customer,
        requested_by="U1", now=NOW,
    )  # fmt: skip
    recorded = request_outreach(engine, settings, customer_id=customer, requested_by="U1", now=NOW)

    assert (by_email.status, by_email.reason) == ("no_address", "no email address")
    assert smtp_server.messages == []
    assert recorded.status == "sent"  # the log backend needs no address
    assert [status for _, status, _ in audit(engine)] == ["refused", "sent"]


@sqlite_only
def test_unknown_customer_is_reported_and_not_recorded(engine: Engine, settings: Settings) -> None:
    result = request_outreach(engine, settings, customer_id=999, requested_by="U1", now=NOW)

    assert (result.status, result.customer_key, result.retry_allowed) == (
        "unknown_customer", None, False
    )  # fmt: skip
    assert audit(engine) == []


class CrashingBackend:
    """The process dies while sending (after the claim, before the result is recorded)."""

    name = "smtp"
    needs_email = True

    def send(self, message: OutreachMessage) -> str:
        raise SystemExit("killed")


def test_crash_while_sending_keeps_the_claim(engine: Engine, settings: Settings) -> None:
    customer = add_customer(engine, "C1")
    with pytest.raises(SystemExit):
        request_outreach(
            engine, settings, customer_id=customer, requested_by="U1", now=NOW,
            backend=CrashingBackend(),
        )  # fmt: skip

    again = request_outreach(
        engine, settings, customer_id=customer, requested_by="U2", now=NOW + timedelta(hours=1)
    )

    # at most once: the first message may have gone out, so none is sent until the cooldown ends
    assert again.status == "already_contacted"
    assert again.reason == (
        "outreach requested on 2024-06-02 by U1, not confirmed sent; next possible on 2024-07-02"
    )
    assert [status for _, status, _ in audit(engine)] == ["claimed", "refused"]


def test_requested_by_is_required() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="requested_by"):
        request_outreach(make_engine("sqlite://"), settings, customer_id=1, requested_by=" ")


@pytest.mark.faults
@pytest.mark.parametrize("dormant", [False, None], ids=["active", "not scored"])
def test_a_click_for_a_customer_who_is_not_dormant_now_is_refused_by_the_server(
    engine: Engine, settings: Settings, smtp_server: SmtpServer, dormant: bool | None
) -> None:
    """Fault 15 of issue 11: only the button checked that a customer is dormant; an old
    button, a forged value or a customer who bought again since must not be contacted."""
    settings = smtp_settings(settings, smtp_server.port)
    customer = add_customer(engine, "C1", last_order=days_ago(5), dormant=dormant)
    result = request_outreach(engine, settings, customer_id=customer, requested_by="U1", now=NOW)
    assert result.status == "not_dormant"
    assert result.reason is not None
    assert result.reason.startswith("neither dormant" if dormant is False else "not in the current")
    assert smtp_server.messages == []
    assert claims(engine) == {}
    assert audit(engine) == [("U1", "refused", result.reason)]
