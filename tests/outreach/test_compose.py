"""The message each customer gets (clv.outreach.compose): the template rule, the campaign link,
the offer per tier, the unsubscribe link, the greeting, and escaping; and the preview, built by
the same function the send uses, against what a real SMTP server receives."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, update

from clv.outreach import OutreachMessage, request_outreach
from clv.outreach.compose import (
    TEMPLATES,
    VIP_TIERS,
    WINBACK_SEGMENTS,
    Standing,
    campaign_link,
    choose_template,
    render_email,
)
from clv.outreach.offers import OfferCodes, parse_offer_codes
from clv.outreach.preview import preview_outreach
from clv.segments.definitions import CLV_TIERS, RFM_SEGMENTS
from clv.settings import Settings
from clv.store.tables import customer_scores_table
from tests.outreach.conftest import (
    NOW,
    SmtpServer,
    add_customer,
    days_ago,
    smtp_settings,
    sqlite_only,
)
from tests.outreach.test_smtp import bodies

HOSTILE = "<script>alert('x')</script> & Co"


@pytest.mark.parametrize(
    ("tier", "segment", "dormant", "overdue", "template"),
    [
        ("Platinum", "Hibernating", True, False, "vip"),  # the tier comes first
        ("Gold", "Champions", False, True, "vip"),
        ("Silver", "Loyal Customers", False, True, "nudge"),  # overdue, still active
        (None, "At Risk", True, True, "winback"),  # dormant beats overdue
        ("Bronze", "Can't Lose Them", True, False, "winback"),
        ("Bronze", "Hibernating", True, False, "reengagement"),  # low-cost reminder
        ("Low", "About to Sleep", True, False, "reengagement"),
        (None, None, False, False, "reengagement"),
    ],
)
def test_the_template_rule_first_match_wins(
    tier: str | None, segment: str | None, dormant: bool, overdue: bool, template: str
) -> None:
    assert choose_template(tier=tier, segment=segment, dormant=dormant, overdue=overdue) == (
        template
    )


def test_the_rule_names_tiers_and_segments_that_exist() -> None:
    assert {t.name for t in CLV_TIERS} >= VIP_TIERS
    assert {t.name for t in CLV_TIERS if t.rank <= 2} == VIP_TIERS  # the top two tiers
    assert {s.name for s in RFM_SEGMENTS} >= WINBACK_SEGMENTS


def test_the_link_keeps_the_shops_own_query_and_adds_the_utm_parameters() -> None:
    url = "https://shop.example/sale?ref=email&q=a%20b+c&utm_source=old#top"

    link = campaign_link(url, source="clvbot", medium="email", campaign="reengagement",
                         content="vip")  # fmt: skip

    assert link == (
        "https://shop.example/sale?ref=email&q=a%20b+c&utm_source=clvbot&utm_medium=email"
        "&utm_campaign=reengagement&utm_content=vip#top"
    )
    assert link is not None
    assert dict(parse_qsl(urlsplit(link).query))["utm_source"] == "clvbot"  # replaced, once
    assert campaign_link("", source="s", medium="m", campaign="c", content="vip") is None
    bare = campaign_link("https://shop.example", source="a b", medium="", campaign="c",
                         content="nudge")  # fmt: skip
    assert bare == "https://shop.example?utm_source=a%20b&utm_campaign=c&utm_content=nudge"


@pytest.mark.parametrize(
    ("value", "codes", "platinum", "silver", "none"),
    [
        ("", OfferCodes(), None, None, None),
        ("WELCOME10", OfferCodes(everyone="WELCOME10"), "WELCOME10", "WELCOME10", "WELCOME10"),
        (" platinum = VIP20 , Gold=GOLD10", OfferCodes(by_tier=(("Platinum", "VIP20"),
         ("Gold", "GOLD10"))), "VIP20", None, None),
    ],
)  # fmt: skip
def test_an_offer_code_for_everyone_or_per_tier(
    value: str, codes: OfferCodes, platinum: str | None, silver: str | None, none: str | None
) -> None:
    parsed = parse_offer_codes(value)

    assert parsed == codes
    assert (parsed.for_tier("Platinum"), parsed.for_tier("Silver"), parsed.for_tier(None)) == (
        platinum, silver, none
    )  # fmt: skip


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("TEN OFF", "'TEN OFF' is not an offer code"),
        ("Diamond=D1", "unknown tier 'Diamond'"),
        ("Gold=G1,gold=G2", "tier Gold has two offer codes"),
        ("WELCOME10,Gold=G1", "'WELCOME10' names no tier"),
        ("Gold=<b>", "'<b>' is not an offer code"),
    ],
)
def test_a_wrong_offer_setting_stops_the_settings_naming_the_variable(
    value: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=f"OUTREACH_OFFER_CODE: {message}"):
        Settings(_env_file=None, outreach_offer_code=value)  # type: ignore[call-arg]
    canonical = Settings(_env_file=None, outreach_offer_code="gold=G1,platinum=P1")  # type: ignore[call-arg]
    assert canonical.outreach_offer_code == "Gold=G1,Platinum=P1"


def message(template: str = "vip", **changes: object) -> OutreachMessage:
    base = OutreachMessage(
        outreach_id=1, customer_id=1, customer_key="C1", name="Chloe Williams",
        email="c@example.com", last_order_on=date(2024, 3, 4), days_since_last_order=90,
        shop_name="Zoë's Books", unsubscribe_url="https://shop.example/u?c=C1",
        requested_by="U1", source=None, requested_at=NOW,
        shop_url="https://shop.example/?utm_content=vip", template=template,  # type: ignore[arg-type]
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_greets_links_offers_and_unsubscribes(template: str) -> None:
    email = render_email(message(template, offer_code="VIP20"))

    assert email.subject.startswith("Chloe, ")
    assert email.text.startswith("Hi Chloe,\n")
    assert "<p>Hi Chloe,</p>" in email.html
    assert "https://shop.example/?utm_content=vip" in email.text
    assert 'href="https://shop.example/?utm_content=vip"' in email.html
    assert "VIP20 (enter it at checkout)" in email.text
    assert "<strong>VIP20</strong>" in email.html
    assert "Unsubscribe: https://shop.example/u?c=C1" in email.text
    assert 'href="https://shop.example/u?c=C1"' in email.html
    assert "Williams" not in email.subject + email.text + email.html


@pytest.mark.parametrize("template", TEMPLATES)
def test_without_offer_link_or_name_nothing_is_left_behind(template: str) -> None:
    email = render_email(message(template, name=None, offer_code=None, shop_url=None,
                                 unsubscribe_url=None))  # fmt: skip

    assert email.text.startswith("Hi,\n")
    assert "code" not in email.text.lower()
    assert "http" not in email.text
    assert "<a " not in email.html
    assert "\n\n\n" not in email.text  # no empty paragraphs where the parts were
    assert email.subject[0].isupper()


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_html_escapes_a_hostile_shop_name_and_link(template: str) -> None:
    email = render_email(message(template, shop_name=HOSTILE,
                                 shop_url='https://shop.example/?a=1&b="><script>'))  # fmt: skip

    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co" in email.html
    assert 'href="https://shop.example/?a=1&amp;b=&#34;&gt;&lt;script&gt;"' in email.html
    assert HOSTILE in email.text  # plain text: as written


def test_a_hostile_name_is_no_first_name_and_stays_out_of_the_email() -> None:
    email = render_email(message("winback", name="<img src=x onerror=alert(1)>"))

    assert email.text.startswith("Hi,\n")
    assert "onerror" not in email.subject + email.text + email.html


def test_the_standing_says_why_they_were_chosen() -> None:
    assert Standing(dormant=True, dormant_reason="P(alive) 0.12 < 0.30").reason == (
        "dormant: P(alive) 0.12 < 0.30"
    )
    overdue = Standing(overdue=True, order_gap_days=35.0, days_since_last=62)
    assert overdue.reason == "overdue: usually orders every ~5 weeks, last order 62 days ago"
    assert Standing(overdue=True).reason == "overdue: later than their usual time between orders"


def scored_as(engine: Engine, customer: int, **values: object) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(customer_scores_table)
            .where(customer_scores_table.c.customer_id == customer)
            .values(**values)
        )


def test_the_preview_is_the_email_the_smtp_server_receives(
    engine: Engine, settings: Settings, smtp_server: SmtpServer
) -> None:
    settings = smtp_settings(settings, smtp_server.port, shop_url="https://books.example/?l=en",
                             outreach_offer_code="Platinum=VIP20,Gold=GOLD10")  # fmt: skip
    customer = add_customer(engine, "C9", name="Chloe Williams", last_order=days_ago(120))
    scored_as(engine, customer, tier="Gold", segment="At Risk", value_at_stake=321.5,
              dormant_reason="P(alive) 0.12 < 0.30")  # fmt: skip

    preview = preview_outreach(engine, settings, customer, now=NOW, backend_needs_email=True)

    assert preview.eligible
    assert preview.email is not None
    assert preview.template == "vip"
    assert preview.reason == "dormant: P(alive) 0.12 < 0.30"
    assert preview.value_at_stake == 321.5
    assert preview.message is not None
    assert preview.message.offer_code == "GOLD10"
    assert preview.message.shop_url == (
        "https://books.example/?l=en&utm_source=clvbot&utm_medium=email"
        "&utm_campaign=reengagement&utm_content=vip"
    )

    result = request_outreach(engine, settings, customer_id=customer, requested_by="U1", now=NOW)

    assert result.status == "sent"
    [email] = smtp_server.messages
    text, html = bodies(email)
    assert email["Subject"] == preview.email.subject == "Chloe, a personal note from Zoë's Books"
    assert text == preview.email.text
    assert html == preview.email.html
    assert "GOLD10" in text


@sqlite_only
def test_the_preview_of_a_customer_who_may_not_be_contacted_says_why_and_shows_no_email(
    engine: Engine, settings: Settings
) -> None:
    opted_out = add_customer(engine, "C1", opted_out=True)
    sent = add_customer(engine, "C2")
    request_outreach(engine, settings, customer_id=sent, requested_by="U7", now=NOW)

    refused = preview_outreach(engine, settings, opted_out, now=NOW, backend_needs_email=False)
    cooling = preview_outreach(engine, settings, sent, now=NOW, backend_needs_email=False)
    unknown = preview_outreach(engine, settings, 999, now=NOW, backend_needs_email=False)

    assert (refused.eligible, refused.email) == (False, None)
    assert refused.refusal() is not None
    assert refused.refusal().status == "opted_out"  # type: ignore[union-attr]
    held = cooling.refusal()
    assert held is not None
    assert (held.status, held.by) == ("already_contacted", "U7")
    assert unknown.refusal() is not None
    assert unknown.refusal().status == "unknown_customer"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="naive datetime"):
        preview_outreach(engine, settings, sent, now=datetime(2024, 6, 2),
                         backend_needs_email=False)  # fmt: skip
    assert NOW.tzinfo is UTC
