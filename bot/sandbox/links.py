"""Links in messages, as Slack formats what a person types and tells an app about its links.

Slack stores a typed message with `&`, `<` and `>` escaped and its links in angle brackets:
`<https://example.com/a>`, an email address as `<mailto:jo@example.com|jo@example.com>`
(https://api.slack.com/reference/surfaces/formatting#linking-urls). A link whose host is one of
the app's unfurl domains, or below one, is "shared" with the app in a `link_shared` event, with
the registered domain beside the URL (https://api.slack.com/events/link_shared).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_TYPED = re.compile(
    r"(?P<url>https?://[^\s<>|\"]+)|(?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
)
_LINK = re.compile(r"<(https?://[^|>]+)(?:\|[^>]*)?>")
_TRAILING = ".,;:!?)]}'"
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape(text: str) -> str:
    return text.translate(_ESCAPES)


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def to_slack_text(typed: str) -> str:
    """The text Slack keeps for a message typed as `typed`."""
    out, at = [], 0
    for found in _TYPED.finditer(typed):
        start, end = found.span()
        value = found.group()
        if found.group("url"):
            value = value.rstrip(_TRAILING)
            end = start + len(value)
        out.append(escape(typed[at:start]))
        if found.group("url"):
            out.append(f"<{escape(value)}>")
        else:
            out.append(f"<mailto:{escape(value)}|{escape(value)}>")
        at = end
    out.append(escape(typed[at:]))
    return "".join(out)


def links_in(text: str) -> list[str]:
    """The http(s) links of a message's Slack-formatted text, each once, in order."""
    seen: dict[str, None] = {}
    for found in _LINK.finditer(text):
        seen.setdefault(unescape(found.group(1)), None)
    return list(seen)


def registered_domain(url: str, domains: tuple[str, ...]) -> str | None:
    """The unfurl domain `url` falls under (its host, or a host below it), or None."""
    host = (urlsplit(url).hostname or "").lower()
    return next((d for d in domains if host == d or host.endswith("." + d)), None)


def shared_links(text: str, domains: tuple[str, ...]) -> list[dict[str, str]]:
    """The `links` of a `link_shared` event for a message: `[{"domain", "url"}]`."""
    shared = []
    for url in links_in(text):
        domain = registered_domain(url, domains)
        if domain is not None:
            shared.append({"domain": domain, "url": url})
    return shared
