"""Pure helpers over Slack payloads (a dict in, a value out), as bolt's payload_utils."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any

_SLACK_ID = re.compile(r"^[A-Z0-9]{2,32}$")
_MAILTO = re.compile(r"<mailto:([^|>]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<([^|>]+)\|([^>]*)>")
_SPACING = re.compile(r"[\t\n\r\v\f\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
DEFAULT_LIST = 10

SUBCOMMANDS = (
    "help", "segment", "segments", "dormant", "top", "overdue", "model", "channels", "funnel",
    "cohorts", "nps", "alerts", "export", "subscribe", "subscriptions", "unsubscribe",
)  # fmt: skip
LISTS = ("dormant", "top", "overdue")  # each takes an optional length
ACQUISITION = ("channels", "funnel", "cohorts", "nps")  # each takes one optional word
# they need who asked, and may write or send: answered by bot.slack.listeners.commands.users
USER_COMMANDS = ("alerts", "export", "subscribe", "subscriptions", "unsubscribe")


@dataclass(frozen=True)
class ClvRequest:
    """What `/clv <text>` asks for: a sub-command and its argument."""

    kind: str  # help | customer | a SUBCOMMANDS name | unknown | bad_limit
    argument: str = ""
    limit: int = DEFAULT_LIST
    channel: str | None = None  # where it was typed (`/clv subscribe` subscribes it)


def is_slack_id(value: object) -> bool:
    return isinstance(value, str) and bool(_SLACK_ID.match(value))


def is_block_action(body: dict[str, Any]) -> bool:
    return body.get("type") == "block_actions"


def is_command(body: dict[str, Any]) -> bool:
    return "command" in body and "type" not in body


def extract_event(body: dict[str, Any]) -> dict[str, Any]:
    """The event of an Events API request (`event_callback`), {} for anything else."""
    event = body.get("event") if body.get("type") == "event_callback" else None
    return event if isinstance(event, dict) else {}


def extract_user_id(body: dict[str, Any]) -> str | None:
    """Who acted: a command's user_id, an interaction's user.id, an event's user."""
    event = extract_event(body)
    user = body.get("user") or event.get("user")
    found = user.get("id") if isinstance(user, dict) else (user or body.get("user_id"))
    return found if isinstance(found, str) else None


def is_own_surface(body: dict[str, Any]) -> bool:
    """A request from a surface only its user sees, in no channel: their App Home, a modal
    opened from it, a global shortcut. SLACK_ALLOWED_CHANNELS does not apply there."""
    return extract_channel_id(body) is None and not is_command(body)


def extract_channel_id(body: dict[str, Any]) -> str | None:
    """The channel of a command or click; for a modal's submission (which carries none), the
    channel its button was in, kept in the view's private_metadata by the bot itself (Slack
    hands it back unchanged: https://api.slack.com/reference/surfaces/views)."""
    channel = body.get("channel")
    found = channel.get("id") if isinstance(channel, dict) else body.get("channel_id")
    if found is None and isinstance(body.get("container"), dict):
        found = body["container"].get("channel_id")
    if found is None and body.get("type") in ("view_submission", "view_closed"):
        found = _metadata(body).get("channel_id")
    event = extract_event(body)
    if found is None and event and event.get("type") != "app_home_opened":
        found = event.get("channel")  # the App Home's "channel" is the app's DM: not one
    return found if isinstance(found, str) else None


def _metadata(body: dict[str, Any]) -> dict[str, Any]:
    view = body.get("view")
    try:
        data = json.loads(view.get("private_metadata") or "{}") if isinstance(view, dict) else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def extract_action_value(body: dict[str, Any]) -> str:
    actions = body.get("actions") or [{}]
    value = actions[0].get("value", "") if isinstance(actions[0], dict) else ""
    return value if isinstance(value, str) else ""


def to_plain_text(text: str) -> str:
    """What the user typed, from Slack's form of it.

    Line breaks become spaces and other control characters (NUL among them) go; Slack's
    links are undone (`<mailto:a@b.c|a@b.c>` -> `a@b.c`, `<url|label>` -> label); and the
    three characters Slack sends as entities, `&lt;`, `&gt;` and `&amp;`
    (https://api.slack.com/reference/surfaces/formatting#escaping), are turned back.
    """
    text = _CONTROL.sub("", _SPACING.sub(" ", text))
    text = _MAILTO.sub(lambda m: m.group(1), text)
    text = _LINK.sub(lambda m: m.group(2), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def to_limit(word: str) -> int | None:
    """A list length from `/clv top 20`: a whole number of at least 1 (a list shows at most
    its cap and says so), or None when `word` is not one."""
    if not (word.isascii() and word.isdigit()) or len(word) > 6 or int(word) < 1:
        return None
    return int(word)


def to_clv_request(text: str, *, channel: str | None = None) -> ClvRequest:
    """Parse the text after `/clv` (typed in `channel`)."""
    request = _to_clv_request(text)
    return replace(request, channel=channel) if channel else request


def _to_clv_request(text: str) -> ClvRequest:
    text = to_plain_text(text or "")
    if not text:
        return ClvRequest("help")
    word, _, rest = text.partition(" ")
    word, rest = word.lower(), rest.strip()
    if word == "help":
        return ClvRequest("help")
    if word == "model" and not rest:
        return ClvRequest("model")
    if word in ACQUISITION or word in USER_COMMANDS:
        return ClvRequest(word, rest)
    if word == "segments":
        return ClvRequest("segments", rest.lower() or "segment")
    if word == "segment":
        return ClvRequest("segment", rest) if rest else ClvRequest("unknown", text)
    if word in LISTS:
        if not rest:
            return ClvRequest(word)
        limit = to_limit(rest)
        return ClvRequest(word, limit=limit) if limit else ClvRequest("bad_limit", text)
    if " " in text:  # ids and emails have no spaces
        return ClvRequest("unknown", text)
    return ClvRequest("customer", text)
