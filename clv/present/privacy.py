"""Masking personal data before anything is posted in a channel: one rule for every post.

A name keeps each word's first letter, an email its first letters of the address and domain
and its top-level domain, and the rest becomes `•••`: 'Jane Doe' -> 'J••• D•••',
'jane@example.com' -> 'j•••@e•••.com'. The bullet is not a mrkdwn control character (an
asterisk would turn 'J*** D***' into bold text), so a masked value is safe anywhere in a
message once escaped like any other data value. A customer id is shown as it is, unless it
is an email address.
"""

from __future__ import annotations

HIDDEN = "•••"


def to_masked_name(name: str | None) -> str | None:
    """'Jane Doe' -> 'J••• D•••'."""
    if not name:
        return name
    return " ".join(f"{word[0]}{HIDDEN}" for word in name.split())


def to_masked_email(email: str | None) -> str | None:
    """'jane@example.com' -> 'j•••@e•••.com'."""
    if not email:
        return email
    local, _, domain = email.partition("@")
    host, dot, tld = domain.rpartition(".")
    if not host:  # no dot in the domain
        host, dot, tld = domain, "", ""
    masked_domain = f"{host[:1]}{HIDDEN}{dot}{tld}" if domain else ""
    return f"{local[:1]}{HIDDEN}@{masked_domain}" if domain else f"{local[:1]}{HIDDEN}"


def to_masked_key(key: str) -> str:
    """A customer id is shown as is, unless it is an email address."""
    return (to_masked_email(key) or key) if "@" in key else key
