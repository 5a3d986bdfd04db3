"""The per-domain fast path of the email check accepts and normalises exactly what
email-validator does for the whole address (the library is the reference)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from clv.ingest.parsing import _checked_email, _validated

ATEXT = "abcXYZ019!#$%&'*+/=?^_`{|}~-"
TRICKY = [
    "Jane.Doe@Example.COM", "a@b.co", "a..b@example.com", ".a@example.com", "a.@example.com",
    "a@example", "a@localhost", "a@x.test", "a@x.local", "a@x.invalid", "a@x.onion",
    "a@-x.com", "a@x-.com", "a@x..com", "a@.x.com", "a@x.com.", "a@x.c", "a@x.123",
    "a@" + "x" * 64 + ".com", "a@" + "x" * 63 + ".com", "x" * 64 + "@example.com",
    "x" * 65 + "@example.com", "a@" + ("x" * 60 + ".") * 4 + "com",
    "weird!#$%&'*+/=?^_`{|}~-@example.com", "ann@xn--bcher-kva.example", "ann@bücher.example",
    "zoë@example.com", "a@example.arpa", "a@sub.example.co.uk", "A@EXAMPLE.ORG",
]  # fmt: skip


def test_tricky_addresses_get_the_libraries_verdict() -> None:
    for address in TRICKY:
        assert _checked_email(address) == _validated(address), address


labels = st.text(alphabet="abcxyz019-", min_size=1, max_size=12)
domains = st.lists(labels, min_size=1, max_size=4).map(".".join)
locals_ = st.lists(st.text(alphabet=ATEXT, min_size=1, max_size=10), min_size=1, max_size=3).map(
    ".".join
)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(local=locals_, domain=domains, tld=st.sampled_from(["com", "org", "io", "test", "x1", ""]))
def test_generated_addresses_get_the_libraries_verdict(local: str, domain: str, tld: str) -> None:
    address = f"{local}@{domain}.{tld}" if tld else f"{local}@{domain}"
    assert _checked_email(address) == _validated(address)
