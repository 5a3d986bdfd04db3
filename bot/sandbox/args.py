"""The arguments of a Web API call as the sandbox's methods read them, and their refusals.

Slack takes arguments as a query string, a form or a JSON body; a structured argument (blocks,
a view, unfurls) is JSON in a JSON body and a JSON-encoded string in a form
(https://api.slack.com/web#posting_json).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from bot.sandbox.workspace import Workspace

Args = dict[str, Any]
Answer = dict[str, Any]


class ApiError(Exception):
    """A call Slack refuses: `{"ok": false, "error": error}`, with `messages` as the
    `response_metadata.messages` Slack adds to some refusals (`invalid_arguments`)."""

    def __init__(self, error: str, *messages: str) -> None:
        super().__init__(error)
        self.error = error
        self.messages = list(messages)

    def to_answer(self) -> Answer:
        answer: Answer = {"ok": False, "error": self.error}
        if self.messages:
            answer["response_metadata"] = {"messages": self.messages}
        return answer


def json_arg(args: Args, name: str) -> Any:
    """A structured argument: a list/dict in a JSON body, a JSON string in a form body."""
    value = args.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value) if value.strip() else None
        except json.JSONDecodeError:
            raise ApiError(f"invalid_{name}") from None
    return value


def channel_arg(ws: Workspace, args: Args, name: str = "channel") -> str:
    channel = ws.resolve_channel(args.get(name))
    if channel is None:
        raise ApiError("channel_not_found")
    return channel


def with_block_ids(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Blocks as Slack stores them: each has a `block_id` (a random one when none was given)."""
    return [b if b.get("block_id") else {**b, "block_id": secrets.token_hex(3)} for b in blocks]
