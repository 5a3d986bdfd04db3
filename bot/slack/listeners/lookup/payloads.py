"""Pure helpers over the payloads that name customers: a `link_shared` event and a message
shortcut's message (a dict in, a value out)."""

from __future__ import annotations

import re
from typing import Any

SOURCES = ("composer", "conversations_history")
COMPOSER = "COMPOSER"  # the "channel" of a link_shared event for a link not yet posted
# Slack's message formatting (https://api.slack.com/reference/surfaces/formatting)
_MENTION = re.compile(r"<[@#!][^>]*>")  # <@U1>, <#C1|sales>, <!here>: nobody's customer key
_MAILTO = re.compile(r"<mailto:([^|>]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<([a-z][a-z0-9+.-]*:[^|>]*)(?:\|[^>]*)?>", re.IGNORECASE)


def extract_shared_links(event: dict[str, Any]) -> list[str]:
    """The URLs of a `link_shared` event (https://api.slack.com/events/link_shared), each
    once, in the event's order."""
    links = event.get("links")
    urls = [link.get("url") for link in links if isinstance(link, dict)] if isinstance(
        links, list
    ) else []  # fmt: skip
    return list(dict.fromkeys(url for url in urls if isinstance(url, str) and url))


def to_unfurl_target(event: dict[str, Any]) -> dict[str, str] | None:
    """Which message chat.unfurl attaches to (https://api.slack.com/methods/chat.unfurl):
    a posted message by its `channel` and `ts`; a link still in the composer, whose channel
    is "COMPOSER" and whose ts is no message's, by the event's `unfurl_id` and `source`
    (https://api.slack.com/changelog/2021-08-changes-to-unfurls). None: the event has neither."""
    unfurl_id, source = event.get("unfurl_id"), event.get("source")
    by_id = isinstance(unfurl_id, str) and bool(unfurl_id) and source in SOURCES
    channel, ts = event.get("channel"), event.get("message_ts")
    posted = isinstance(channel, str) and isinstance(ts, str) and channel != COMPOSER
    if posted and channel and ts and source != "composer":
        return {"channel": str(channel), "ts": str(ts)}
    if by_id:
        return {"unfurl_id": str(unfurl_id), "source": str(source)}
    return None


def is_ext_shared_channel(body: dict[str, Any]) -> bool:
    """Whether the event happened in a Slack Connect channel, shared with another
    organisation: the Events API wrapper's `is_ext_shared_channel`
    (https://docs.slack.dev/apis/events-api/#callback-field). Absent: not shared."""
    return body.get("is_ext_shared_channel") is True


def extract_message_text(body: dict[str, Any]) -> str:
    """A message shortcut's message as plain text, links kept as their URLs: `<url|label>`
    -> url, `<mailto:a@b.c|a@b.c>` -> a@b.c, mentions dropped, `&lt;` `&gt;` `&amp;` undone."""
    message = body.get("message")
    text = message.get("text") if isinstance(message, dict) else None
    if not isinstance(text, str):
        return ""
    text = _MENTION.sub(" ", text)
    text = _MAILTO.sub(lambda m: f" {m.group(1)} ", text)
    text = _LINK.sub(lambda m: f" {m.group(1)} ", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
