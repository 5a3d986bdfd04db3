"""Addresses a mail server would refuse or misread (CR/LF, angle brackets) never reach the store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from clv.datasets import generate_shop
from clv.ingest import import_customers, import_orders
from clv.ingest.fast_orders import OrderBatchParser
from clv.ingest.parsing import FieldError, accepted_days, parse_email
from clv.settings import Settings
from clv.store.tables import customers_table
from tests.helpers import ORDER_HEADER, write_csv

pytestmark = pytest.mark.faults  # issue 11's fault suite

CRLF = "victim@shop.example\r\nbcc:attacker@evil.example"
BRACKETS = "x@<https://evil.example>.com"
CRLF_REASON = (
    f"not an email address: {CRLF!r} "
    "(The part after the @-sign contains invalid characters: ':', '@', U+000A, U+000D.)"
)
BRACKETS_REASON = (
    f"not an email address: {BRACKETS!r} "
    "(The part after the @-sign contains invalid characters: '/', ':', '<', '>'.)"
)


def _emails(engine: Engine) -> dict[str, str | None]:
    query = select(customers_table.c.external_id, customers_table.c.email)
    with Session(engine) as session:
        return {row[0]: row[1] for row in session.execute(query)}


@pytest.mark.parametrize("reader_process", [False, True])
def test_order_email_with_header_injection_or_angle_brackets_is_rejected(
    engine: Engine, settings: Settings, tmp_path: Path, reader_process: bool
) -> None:
    header = [*ORDER_HEADER, "email"]
    rows = [
        ["o1", "c1", "2024-01-05", "1.00", "ann@shop.example"],
        ["o2", "c2", "2024-01-05", "1.00", CRLF],
        ["o3", "c3", "2024-01-05", "1.00", BRACKETS],
    ]
    path = write_csv(tmp_path / "o.csv", header, rows)
    report = import_orders(engine, path, settings, reader_process=reader_process)
    assert (report.imported, report.rejected) == (1, 2)
    # the quoted CR/LF makes row 2 span lines 3-4: it is named by the line it starts on
    assert [(r.line, r.column, r.reason) for r in report.first_rejects] == [
        (3, "email", CRLF_REASON),
        (5, "email", BRACKETS_REASON),
    ]
    assert _emails(engine) == {"c1": "ann@shop.example"}


def test_customer_email_with_header_injection_or_angle_brackets_is_rejected(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rows = [["c1", "ann@example.com"], ["c2", CRLF], ["c3", BRACKETS]]
    path = write_csv(tmp_path / "c.csv", ["customer_id", "email"], rows)
    report = import_customers(engine, path, settings)
    assert (report.imported, report.rejected) == (1, 2)
    assert [r.reason for r in report.first_rejects] == [CRLF_REASON, BRACKETS_REASON]
    assert _emails(engine) == {"c1": "ann@example.com"}


@pytest.mark.parametrize("email", [CRLF, BRACKETS, "a@foo.test", "a@localhost", "Ann <a@b.co>"])
def test_fast_path_hands_a_batch_with_an_invalid_email_to_the_row_parser(email: str) -> None:
    columns = {"order_id": 0, "customer_id": 1, "ordered_at": 2, "amount": 3, "email": 4}
    parser = OrderBatchParser(columns, 5, 2, sqlite=True, days=accepted_days(UTC))
    clean = [(2, ["o1", "c1", "2024-01-05T10:00:00", "1.00", "a@x.io"])]
    assert parser(clean) is not None
    assert parser([*clean, (3, ["o2", "c2", "2024-01-05T10:00:00", "1.00", email])]) is None


@pytest.mark.parametrize("bad_row", [False, True])  # True: the batch goes row by row
def test_both_order_parsers_store_the_same_normalised_lower_case_address(
    engine: Engine, settings: Settings, tmp_path: Path, bad_row: bool
) -> None:
    header = [*ORDER_HEADER, "email"]
    rows = [
        ["o1", "c1", "2024-01-05", "1.00", " Ann.Lee@Example.COM "],
        ["o2", "c2", "2024-01-05", "1.00", "Zoe\u0301@X.io"],  # e + combining acute accent
    ]
    if bad_row:
        rows.append(["o3", "c3", "not a date", "1.00", ""])
    import_orders(engine, write_csv(tmp_path / "o.csv", header, rows), settings)
    assert _emails(engine) == {"c1": "ann.lee@example.com", "c2": "zo\u00e9@x.io"}  # NFC


def test_addresses_of_the_demo_shop_and_the_test_data_still_validate() -> None:
    shop = generate_shop(3000, now=datetime(2026, 6, 30, 12, 0))
    assert [c.email for c in shop.customers if parse_email(c.email) != c.email] == []
    used_in_tests = [
        "jane.doe@example.com",
        "zoe+co@example.com",
        "hello@books.example",
        "a@shop.example",
        "a+b@x.com",
        "a@x.io",
        "a@b.co",
        "c1@shop.io",
    ]
    assert [parse_email(e) for e in used_in_tests] == used_in_tests


@pytest.mark.parametrize(
    "email",
    [
        "a@foo.test",  # special-use names (RFC 6761): never a real mailbox
        "a@localhost",
        "a@printer.local",
        "a@x.invalid",
        "a@[192.0.2.1]",  # a bracketed IP address
        '"a b"@x.com',  # a quoted local part
        "Ann <a@x.com>",  # a display name
        "a@x" * 120,  # 360 characters
    ],
)
def test_addresses_no_shop_can_mail_are_rejected(email: str) -> None:
    with pytest.raises(FieldError) as caught:
        parse_email(email)
    assert caught.value.column == "email"
    assert caught.value.reason.startswith("not an email address: ")
