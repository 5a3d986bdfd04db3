"""Which customer a link is about: `UNFURL_PATTERNS`, the URL shapes of the shop's own tools.

A pattern is a URL with one placeholder, `{id}` (the shop's customer id) or `{email}`, in a
path segment or a query value, and `*` for any one path segment or host label:

    https://admin.shopify.com/store/*/customers/{id}
    https://crm.example.com/c/{email}
    https://*.myshopify.com/admin/customers/{id}
    https://shop.example.com/admin/customer.php?id={id}

A link matches when its scheme and host match, its path has the pattern's segments (a trailing
slash does not matter), and each query parameter the pattern names has the pattern's value; the
placeholder takes the percent-decoded segment or value. Anything else (another host, more or
fewer segments, an empty placeholder) is not a customer link, so no unfurl is attempted.
`UNFURL_PATTERNS` holds patterns separated by spaces or commas.

`named_in` lists who a message may be about (its customer links, email addresses and other
words); which of them are customers only the store can say (`clv.insights.named_customers`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit

Kind = Literal["id", "email"]
PLACEHOLDERS: dict[str, Kind] = {"{id}": "id", "{email}": "email"}
_SPLIT = re.compile(r"[\s,]+")
_URL = re.compile(r"https?://[^\s<>|\"']+", re.IGNORECASE)
# the dot-atom of RFC 5322 before the @, a host name of labels after it
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{}|~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{}|~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
_WORD = re.compile(r"[^\s,;()\[\]{}<>\"']+")
_WORD_EDGES = ".,:;!?*_~#"  # punctuation and mrkdwn around a word: "(#42)." names 42
MAX_NAMED = 50  # candidates of one message: a bounded look-up, however long the message


@dataclass(frozen=True)
class CustomerLink:
    """What a matching link names: a customer id or an email address."""

    kind: Kind
    value: str


@dataclass(frozen=True)
class LinkPattern:
    text: str
    scheme: str
    host: tuple[str, ...]  # labels; "*" matches any one
    path: tuple[str, ...]  # segments; "*" any one, a placeholder the customer
    query: tuple[tuple[str, str], ...]  # (name, value or placeholder)

    @property
    def domain(self) -> str:
        """The domain Slack must be told about for unfurls (the labels after any `*`)."""
        labels = list(self.host)
        while labels and labels[0] == "*":
            labels.pop(0)
        return ".".join(labels)

    def match(self, url: str) -> CustomerLink | None:
        try:
            parts = urlsplit(url.strip())
        except ValueError:
            return None
        host = tuple((parts.hostname or "").split("."))
        if parts.scheme.lower() != self.scheme or not _same(self.host, host):
            return None
        path = tuple(s for s in parts.path.split("/") if s)
        if len(path) != len(self.path):
            return None
        found = [_take(p, unquote(s)) for p, s in zip(self.path, path, strict=True)]
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        for name, wanted in self.query:
            found.append(_take(wanted, query.get(name, "")) if name in query else False)
        if any(f is False for f in found):
            return None
        links = [f for f in found if isinstance(f, CustomerLink)]
        return links[0] if len(links) == 1 and links[0].value else None


def _same(pattern: tuple[str, ...], host: tuple[str, ...]) -> bool:
    return len(pattern) == len(host) and all(
        p == "*" or p == h.lower() for p, h in zip(pattern, host, strict=True)
    )


def _take(pattern: str, value: str) -> CustomerLink | bool:
    """A placeholder takes the value; `*` any value; a literal only itself."""
    if pattern in PLACEHOLDERS:
        kind = PLACEHOLDERS[pattern]
        if kind == "email" and "@" not in value:
            return False
        return CustomerLink(kind, value.strip())
    return pattern == "*" or pattern == value


def parse_pattern(text: str) -> LinkPattern:
    """One pattern, checked: ValueError names what is wrong with it."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"unfurl pattern {text!r} is not an http(s) URL with a host")
    path = tuple(s for s in parts.path.split("/") if s)
    query = tuple(parse_qsl(parts.query, keep_blank_values=True))
    holders = [s for s in (*path, *(v for _, v in query)) if s in PLACEHOLDERS]
    if len(holders) != 1:
        raise ValueError(
            f"unfurl pattern {text!r} needs exactly one {{id}} or {{email}}, not {len(holders)}"
        )
    host = tuple(parts.hostname.lower().split("."))
    return LinkPattern(text, parts.scheme, host, path, query)


def parse_patterns(text: str) -> tuple[LinkPattern, ...]:
    """The patterns of `UNFURL_PATTERNS` (spaces or commas between them)."""
    return tuple(parse_pattern(part) for part in _SPLIT.split(text.strip()) if part)


def customer_link(url: str, patterns: tuple[LinkPattern, ...]) -> CustomerLink | None:
    """The customer the first matching pattern finds in `url`, or None."""
    for pattern in patterns:
        found = pattern.match(url)
        if found is not None:
            return found
    return None


def named_in(text: str, patterns: tuple[LinkPattern, ...]) -> tuple[CustomerLink, ...]:
    """Who `text` may name, most telling first, each value once and at most MAX_NAMED: the
    customers its links name by `patterns`, then its email addresses, then each other word
    as a possible customer id ("customer #42." -> "42")."""
    urls = [m.group(0).rstrip(_WORD_EDGES) for m in _URL.finditer(text)]
    found = [link for url in urls if (link := customer_link(url, patterns)) is not None]
    found += [CustomerLink("email", m.group(0)) for m in _EMAIL.finditer(text)]
    rest = _URL.sub(" ", text)
    words = (m.group(0).strip(_WORD_EDGES) for m in _WORD.finditer(rest))
    found += [CustomerLink("id", word) for word in words if word and "@" not in word]
    unique: dict[str, CustomerLink] = {}
    for link in found:
        unique.setdefault(link.value.casefold() if link.kind == "email" else link.value, link)
    return tuple(unique.values())[:MAX_NAMED]
