"""The smtp backend against a real SMTP server: content, headers, failure and retry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from clv.outreach import (
    OutreachMessage,
    OutreachSendError,
    SmtpBackend,
    outreach_eligibility,
    request_outreach,
)
from clv.outreach.policy import OutreachRules
from clv.outreach.smtp import render_reengagement, time_since
from clv.settings import Settings
from clv.store.tables import outreach_contacts_table, outreach_table
from tests.outreach.conftest import (
    NOW,
    SmtpServer,
    add_customer,
    days_ago,
    smtp_settings,
    sqlite_only,
)

NAME = "<b>Zoë & Co</b>"


def test_email_is_personal_with_text_html_and_list_unsubscribe(
    engine: Engine, settings: Settings, smtp_server: SmtpServer
) -> None:
    settings = smtp_settings(settings, smtp_server.port)
    customer = add_customer(
        engine, "C-7/1", email="zoe+co@example.com", name=NAME, last_order=days_ago(100)
    )

    result = request_outreach(
        engine, settings, customer_id=customer, requested_by="U1", source="digest:C1:2024-06-02",
        now=NOW,
    )  # fmt: skip

    assert result.status == "sent"
    [email] = smtp_server.messages
    assert smtp_server.collector.recipients == [["zoe+co@example.com"]]
    assert email["From"] == "Zoë's Books <hello@books.example>"
    assert email["To"].addresses[0].addr_spec == "zoe+co@example.com"
    assert email["To"].addresses[0].display_name == NAME
    assert email["Subject"] == f"{NAME}, we've missed you at Zoë's Books"
    assert email["Message-ID"] == result.message_id
    assert email["List-Unsubscribe"] == (
        "<https://shop.example/unsubscribe?email=zoe%2Bco%40example.com&customer=C-7%2F1>"
    )
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email.get_content_type() == "multipart/alternative"
    text = email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = email.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f"Hi {NAME}," in text
    assert "It's been about 3 months since your last order at Zoë's Books" in text
    assert "Unsubscribe: https://shop.example/unsubscribe?email=zoe%2Bco%40example.com" in text
    assert "Hi &lt;b&gt;Zoë &amp; Co&lt;/b&gt;," in html
    assert "<b>Zoë" not in html
    assert 'href="https://shop.example/unsubscribe?email=zoe%2Bco%40example.com&amp;' in html
    with engine.connect() as connection:
        row = connection.execute(select(outreach_table)).one()
    assert (row.backend, row.status, row.source, row.message_id) == (
        "smtp", "sent", "digest:C1:2024-06-02", result.message_id
    )  # fmt: skip
    assert row.requested_at == NOW
    assert row.finished_at is not None
    assert NOW <= row.finished_at < NOW + timedelta(seconds=30)


@sqlite_only
def test_plain_http_unsubscribe_gets_no_one_click_header(
    engine: Engine, settings: Settings, smtp_server: SmtpServer
) -> None:
    settings = smtp_settings(
        settings, smtp_server.port, outreach_unsubscribe_url="http://shop.test/u/{customer_id}"
    )
    customer = add_customer(engine, "C1")

    request_outreach(engine, settings, customer_id=customer, requested_by="U1", now=NOW)

    [email] = smtp_server.messages
    assert email["List-Unsubscribe"] == "<http://shop.test/u/C1>"
    assert email["List-Unsubscribe-Post"] is None


def test_smtp_down_fails_restores_the_claim_and_a_retry_sends(
    engine: Engine, settings: Settings, smtp_down: SmtpServer
) -> None:
    settings = smtp_settings(settings, smtp_down.port)
    customer = add_customer(engine, "C1", last_order=days_ago(300))
    earlier = request_outreach(  # a contact long ago: the claim a failure must give back
        engine, settings.model_copy(update={"outreach_backend": "log"}), customer_id=customer,
        requested_by="U0", now=NOW - timedelta(days=45),
    )  # fmt: skip

    failed = request_outreach(engine, settings, customer_id=customer, requested_by="U1", now=NOW)

    assert (failed.status, failed.retry_allowed) == ("failed", True)
    assert failed.reason is not None
    assert failed.reason.startswith(f"sending failed: SMTP server 127.0.0.1:{smtp_down.port}")
    with engine.connect() as connection:
        held = connection.execute(select(outreach_contacts_table)).one()
        verdict = outreach_eligibility(
            connection, customer_ids=[customer], rules=OutreachRules(30, False), now=NOW
        )[customer]
    assert (held.outreach_id, held.claimed_at) == (earlier.outreach_id, NOW - timedelta(days=45))
    assert verdict.eligible

    smtp_down.start()
    retried = request_outreach(
        engine, settings, customer_id=customer, requested_by="U1", now=NOW + timedelta(minutes=1)
    )

    assert retried.status == "sent"
    assert len(smtp_down.messages) == 1
    with engine.connect() as connection:
        statuses = connection.execute(
            select(outreach_table.c.status, outreach_table.c.reason).order_by(outreach_table.c.id)
        ).all()
    assert [s for s, _ in statuses] == ["sent", "failed", "sent"]
    assert statuses[1].reason == failed.reason.removeprefix("sending failed: ")


@sqlite_only
def test_failure_without_a_previous_contact_drops_the_claim(
    engine: Engine, settings: Settings, smtp_down: SmtpServer
) -> None:
    customer = add_customer(engine, "C1")

    failed = request_outreach(
        engine, smtp_settings(settings, smtp_down.port), customer_id=customer,
        requested_by="U1", now=NOW,
    )  # fmt: skip

    assert failed.status == "failed"
    with engine.connect() as connection:
        assert connection.execute(select(outreach_contacts_table)).all() == []


def message(name: str | None, days: int | None) -> OutreachMessage:
    return OutreachMessage(
        outreach_id=1, customer_id=1, customer_key="C1", name=name, email="a@example.com",
        last_order_on=date(2024, 1, 1) if days is not None else None, days_since_last_order=days,
        shop_name="Shop", unsubscribe_url=None, requested_by="U1", source=None,
        requested_at=datetime(2024, 6, 2, tzinfo=UTC),
    )  # fmt: skip


def test_render_falls_back_to_there_and_never_ordered() -> None:
    rendered = render_reengagement(message("  ", None))

    assert rendered.subject == "there, we've missed you at Shop"
    assert rendered.text.startswith("Hi there,\n")
    assert "It's been a while since we last saw you at Shop" in rendered.text
    assert "Unsubscribe" not in rendered.text


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (3, "a few days"), (10, "a week or so"), (20, "2 weeks"), (59, "8 weeks"),
        (100, "about 3 months"), (364, "about 12 months"), (400, "over a year"),
        (800, "over 2 years"),
    ],
)  # fmt: skip
def test_time_since_last_order_in_words(days: int, words: str) -> None:
    assert time_since(days) == words


def test_starttls_required_but_not_offered_fails_clearly(smtp_server: SmtpServer) -> None:
    backend = SmtpBackend(host="127.0.0.1", port=smtp_server.port, sender="s@example.com")

    with pytest.raises(OutreachSendError, match="does not offer STARTTLS"):
        backend.send(message("Ann", 30))

    assert smtp_server.messages == []
