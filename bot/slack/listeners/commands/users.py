"""The `/clv` sub-commands that need who asked and may write or send: `alerts` (mute a rule),
`export` (a CSV in a direct message) and the digest subscriptions (`subscribe`,
`subscriptions`, `unsubscribe`). The acknowledgement answers at once; what takes
longer (building and uploading an export) runs in bolt's lazy listener after it, and so do
the commands that write (`subscribe`, `unsubscribe`): answered through the response_url
(`LATER`), their writes are not run behind a deadline that could give up on them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.slack.deps import Deps
from bot.slack.listeners.commands.alerts import alerts_answer
from bot.slack.listeners.commands.export import export_ack, export_follow_up
from bot.slack.listeners.commands.subscriptions import (
    subscribe_answer,
    subscriptions_answer,
    unsubscribe_answer,
)
from bot.slack.payloads import USER_COMMANDS, ClvRequest

Message = dict[str, Any]
UserAnswer = Callable[[Deps, str, ClvRequest], Message]
FollowUp = Callable[[Deps, str, ClvRequest, WebClient], None]
LaterAnswer = Callable[[Deps, str, ClvRequest, WebClient], Message]

ANSWERS: dict[str, UserAnswer] = {
    "alerts": alerts_answer,
    "export": export_ack,
    "subscriptions": subscriptions_answer,
}
FOLLOW_UPS: dict[str, FollowUp] = {"export": export_follow_up}
LATER: dict[str, LaterAnswer] = {"subscribe": subscribe_answer, "unsubscribe": unsubscribe_answer}
assert set(ANSWERS) | set(LATER) == set(USER_COMMANDS)
