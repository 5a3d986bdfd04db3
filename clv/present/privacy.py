"""Masking personal data before a card is shared in a channel."""

from __future__ import annotations


def to_masked_name(name: str | None) -> str | None:
    """'Jane Doe' -> 'J*** D***'."""
    if not name:
        return name
    return " ".join(f"{word[0]}***" for word in name.split())


def to_masked_email(email: str | None) -> str | None:
    """'jane@example.com' -> 'j***@e***.com'."""
    if not email:
        return email
    local, _, domain = email.partition("@")
    host, dot, tld = domain.rpartition(".")
    if not host:  # no dot in the domain
        host, dot, tld = domain, "", ""
    masked_domain = f"{host[:1]}***{dot}{tld}" if domain else ""
    return f"{local[:1]}***@{masked_domain}" if domain else f"{local[:1]}***"


def to_masked_key(key: str) -> str:
    """A customer id is shown as is, unless it is an email address."""
    return to_masked_email(key) or key if "@" in key else key
