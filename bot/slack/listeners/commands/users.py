"""The `/clv` sub-commands that need who asked and may write or send: `alerts` (mute a rule),
`export` (a CSV in a direct message) and the digest subscriptions (`subscribe`,
`subscriptions`, `unsubscribe`). The acknowledgement answers at once; what takes
longer (building and uploading an export) runs in bolt's lazy listener after it."""

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

ANSWERS: dict[str, UserAnswer] = {
    "alerts": alerts_answer,
    "export": export_ack,
    "subscribe": subscribe_answer,
    "subscriptions": subscriptions_answer,
    "unsubscribe": unsubscribe_answer,
}
FOLLOW_UPS: dict[str, FollowUp] = {"export": export_follow_up}
assert set(ANSWERS) == set(USER_COMMANDS)
