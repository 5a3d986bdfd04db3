"""UNFURL_PATTERNS: which customer a pasted link is about (issue 17, link unfurls)."""

from __future__ import annotations

import pytest

from clv.links import CustomerLink, customer_link, parse_pattern, parse_patterns

PATTERNS = parse_patterns(
    "https://admin.shopify.com/store/*/customers/{id}, https://crm.example.com/c/{email} "
    "https://*.myshopify.com/admin/customers/{id}\n"
    "https://shop.example.com/admin/customer.php?id={id}"
)


@pytest.mark.parametrize(
    ("url", "found"),
    [
        ("https://admin.shopify.com/store/zoes-books/customers/7712", CustomerLink("id", "7712")),
        ("https://admin.shopify.com/store/zoes-books/customers/7712/", CustomerLink("id", "7712")),
        ("https://ADMIN.shopify.com/store/x/customers/C%2042", CustomerLink("id", "C 42")),
        ("https://crm.example.com/c/jane%40example.com", CustomerLink("email", "jane@example.com")),
        ("https://zoe.myshopify.com/admin/customers/9", CustomerLink("id", "9")),
        ("https://shop.example.com/admin/customer.php?id=55&tab=orders", CustomerLink("id", "55")),
    ],
)
def test_a_link_of_a_pattern_names_its_customer(url: str, found: CustomerLink) -> None:
    assert customer_link(url, PATTERNS) == found


@pytest.mark.parametrize(
    "url",
    [
        "https://admin.shopify.com/store/zoes-books/customers",  # no customer segment
        "https://admin.shopify.com/store/zoes-books/customers/7712/orders",  # one too many
        "https://admin.shopify.com.evil.example/store/x/customers/1",  # another host
        "http://crm.example.com/c/jane@example.com",  # another scheme
        "https://crm.example.com/c/not-an-email",
        "https://a.b.myshopify.com/admin/customers/9",  # `*` is one label
        "https://shop.example.com/admin/customer.php?tab=orders",  # the parameter is missing
        "https://shop.example.com/admin/customer.php?id=",  # empty
        "not a url at all",
    ],
)
def test_other_links_name_nobody(url: str) -> None:
    assert customer_link(url, PATTERNS) is None


def test_bad_patterns_say_what_is_wrong_and_domains_are_known() -> None:
    with pytest.raises(ValueError, match="needs exactly one"):
        parse_pattern("https://crm.example.com/c/{id}/{email}")
    with pytest.raises(ValueError, match="not an http"):
        parse_pattern("ftp://crm.example.com/{id}")
    assert [p.domain for p in PATTERNS] == [
        "admin.shopify.com", "crm.example.com", "myshopify.com", "shop.example.com",
    ]  # fmt: skip
    assert parse_patterns("  ") == ()


def test_the_setting_is_checked_when_read() -> None:
    from pydantic import ValidationError

    from clv.settings import Settings

    good = Settings(_env_file=None, unfurl_patterns=" https://crm.example.com/c/{email} ")  # type: ignore[call-arg]
    assert good.unfurl_patterns == "https://crm.example.com/c/{email}"
    with pytest.raises(ValidationError, match="needs exactly one"):
        Settings(_env_file=None, unfurl_patterns="https://crm.example.com/c/")  # type: ignore[call-arg]
