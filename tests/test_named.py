"""Who a message names (clv.links.named_in) and which of them are customers
(clv.insights.named.named_customers, SQLite and PostgreSQL): the core of the message shortcut."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from clv.ingest import import_customers
from clv.insights.named import named_customers
from clv.links import MAX_NAMED, CustomerLink, named_in, parse_patterns
from clv.settings import Settings
from tests.helpers import write_csv

PATTERNS = parse_patterns(
    "https://admin.shopify.com/store/*/customers/{id} https://crm.example.com/c/{email}"
)


def test_links_come_first_then_emails_then_words() -> None:
    text = (
        "Jo (jo@example.com) asked about order 5, see "
        "https://admin.shopify.com/store/zoe/customers/7712."
    )
    assert named_in(text, PATTERNS) == (
        CustomerLink("id", "7712"),
        CustomerLink("email", "jo@example.com"),
        *(CustomerLink("id", w) for w in ("Jo", "asked", "about", "order", "5", "see")),
    )


def test_a_link_that_matches_no_pattern_names_nobody_and_is_no_word() -> None:
    found = named_in("look https://example.com/customers/42 now", PATTERNS)
    assert [link.value for link in found] == ["look", "now"]


def test_punctuation_and_mrkdwn_around_a_word_are_not_part_of_it() -> None:
    found = named_in("*#42*, _C-1001_! (id:9) 1.5.", PATTERNS)
    assert [link.value for link in found] == ["42", "C-1001", "id:9", "1.5"]


def test_each_value_once_an_email_in_any_case_and_at_most_max_named() -> None:
    text = "JO@example.com jo@EXAMPLE.com https://crm.example.com/c/jo%40example.com 7 7"
    assert named_in(text, PATTERNS) == (
        CustomerLink("email", "jo@example.com"),
        CustomerLink("id", "7"),
    )
    many = " ".join(str(n) for n in range(MAX_NAMED * 3))
    assert len(named_in(many, PATTERNS)) == MAX_NAMED


def test_only_stored_customers_are_named_in_the_messages_order(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = [
        ["7712", "jo@example.com", "Jo"],
        ["5", "Ann@Example.com", "Ann"],
        ["6", "ann@example.com", "Ann again"],
        ["jo@example.com", "", "An id with an @"],
    ]
    import_customers(
        engine, write_csv(tmp_path / "c.csv", ["customer_id", "email", "name"], rows), settings
    )
    text = "ann@EXAMPLE.com and jo@example.com wrote about 5, 7712 and 999"
    with Session(engine) as session:
        found = named_customers(session, named_in(text, PATTERNS))
    # ann@ is the first imported of the two Anns (5); jo@example.com is first an id (as
    # find_customer decides); 5 is already named; 999 is nobody
    assert found == ("5", "jo@example.com", "7712")
    with Session(engine) as session:
        assert named_customers(session, named_in("hello there, 999", PATTERNS)) == ()
        assert named_customers(session, ()) == ()
