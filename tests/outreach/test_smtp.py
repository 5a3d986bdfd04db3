"""The smtp backend against a real SMTP server: content, headers, failure and retry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, select

from clv.outreach import (
    OutreachMessage,
    OutreachSendError,
    SmtpBackend,
    outreach_eligibility,
    request_outreach,
)
from clv.outreach.message import first_name
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
    assert email["Subject"] == "We've missed you at Zoë's Books"  # markup is not a first name
    assert email["Message-ID"] == result.message_id
    assert email["List-Unsubscribe"] == (
        "<https://shop.example/unsubscribe?email=zoe%2Bco%40example.com&customer=C-7%2F1>"
    )
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email.get_content_type() == "multipart/alternative"
    text, html = bodies(email)
    assert text.startswith("Hi,\n")
    assert "It's been about 3 months since your last order at Zoë's Books" in text
    assert "Unsubscribe: https://shop.example/unsubscribe?email=zoe%2Bco%40example.com" in text
    assert "<p>Hi,</p>" in html
    assert "Zoë&#39;s Books" in html
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


def message(name: str | None, days: int | None, shop_url: str | None = None) -> OutreachMessage:
    return OutreachMessage(
        outreach_id=1, customer_id=1, customer_key="C1", name=name, email="a@example.com",
        last_order_on=date(2024, 1, 1) if days is not None else None, days_since_last_order=days,
        shop_name="Shop", unsubscribe_url=None, requested_by="U1", source=None,
        requested_at=datetime(2024, 6, 2, tzinfo=UTC), shop_url=shop_url,
    )  # fmt: skip


def bodies(email: EmailMessage) -> tuple[str, str]:
    """The text and HTML parts of a received email, with the wire's CRLF read as newlines."""
    text = email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = email.get_body(("html",)).get_content()  # type: ignore[union-attr]
    return text.replace("\r\n", "\n"), html.replace("\r\n", "\n")


def test_the_email_greets_the_customer_by_first_name(
    engine: Engine, settings: Settings, smtp_server: SmtpServer
) -> None:
    settings = smtp_settings(settings, smtp_server.port)
    customer = add_customer(engine, "C1", name="Chloe Williams", last_order=days_ago(100))

    result = request_outreach(engine, settings, customer_id=customer, requested_by="U1", now=NOW)

    assert result.status == "sent"
    [email] = smtp_server.messages
    text, html = bodies(email)
    assert email["Subject"] == "Chloe, we've missed you at Zoë's Books"
    assert text.startswith("Hi Chloe,\n")
    assert "<p>Hi Chloe,</p>" in html
    assert "Williams" not in text + html
    assert email["To"].addresses[0].display_name == "Chloe Williams"  # the address keeps it


@pytest.mark.parametrize(
    ("name", "greeted"),
    [
        ("Chloe Williams", "Chloe"), ("  chloe  ", "chloe"), ("Jean-Luc Picard", "Jean-Luc"),
        ("Zoë Ångström", "Zoë"), ("D'Arcy Moss", "D'Arcy"), ("Chloe", "Chloe"),
        ("Ms Smith", None), ("MR SMITH", None), ("Dr. Jones", None), ("Miss Marple", None),
        ("J. Smith", None), ("J Smith", None), ("Smith, Chloe", None), ("R2D2", None),
        ("chloe@example.com", None), ("<b>Zoë & Co</b>", None), ("", None), (None, None),
    ],
)  # fmt: skip
def test_first_name_is_the_first_word_unless_a_title_an_initial_or_not_a_name(
    name: str | None, greeted: str | None
) -> None:
    assert first_name(name) == greeted


def test_without_a_first_name_the_greeting_is_neutral() -> None:
    for name in ("  ", "Ms Smith", None):
        rendered = render_reengagement(message(name, None))

        assert rendered.subject == "We've missed you at Shop"
        assert rendered.text.startswith("Hi,\n")
        assert "<p>Hi,</p>" in rendered.html
        assert "It's been a while since we last saw you at Shop" in rendered.text
        assert "Unsubscribe" not in rendered.text


def test_the_email_links_back_to_the_shop(smtp_server: SmtpServer) -> None:
    backend = SmtpBackend(
        host="127.0.0.1", port=smtp_server.port, sender="s@example.com", starttls=False
    )
    url = 'https://shop.example/?from=email&lang=en"onclick="x'

    backend.send(message("Ann Lee", 30, shop_url=url))

    [email] = smtp_server.messages
    text, html = bodies(email)
    assert f"Come and have a look: {url}\n" in text
    assert (
        '<a href="https://shop.example/?from=email&amp;lang=en&#34;onclick=&#34;x">'
        "Come and have a look at Shop</a>"
    ) in html
    assert '"onclick' not in html


def test_without_shop_url_the_email_has_no_shop_link() -> None:
    rendered = render_reengagement(message("Ann Lee", 30, shop_url=None))

    assert "it may be waiting for you.\n\nWe'd love to see you again." in rendered.text
    assert "Come and have a look" not in rendered.text + rendered.html
    assert "<a " not in rendered.html


@pytest.mark.parametrize(
    "value", ["shop.example.com", "javascript:alert(1)", "https://", "https://shop .example"]
)
def test_shop_url_must_be_a_web_address(value: str) -> None:
    with pytest.raises(ValidationError, match="is not a web address: use one such as https://"):
        Settings(_env_file=None, shop_url=value)  # type: ignore[call-arg]


def test_shop_url_may_be_empty_and_is_trimmed() -> None:
    assert Settings(_env_file=None, shop_url="").shop_url == ""  # type: ignore[call-arg]
    assert (
        Settings(_env_file=None, shop_url=" https://shop.example/ ").shop_url  # type: ignore[call-arg]
        == "https://shop.example/"
    )


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
