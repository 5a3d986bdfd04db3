"""Slash commands: `/clv`."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.deps import Deps
from bot.slack.listeners.commands.clv import ack_at_once, answer_in_ack, answer_later, follow_up

COMMAND = "/clv"


def register(app: App, deps: Deps) -> None:
    if deps.settings.slack_answer_in_ack:
        app.command(COMMAND)(ack=answer_in_ack(deps), lazy=[follow_up(deps)])
    else:
        app.command(COMMAND)(ack=ack_at_once, lazy=[answer_later(deps), follow_up(deps)])
