"""Buttons on the customer card: acknowledged at once, answered from a lazy listener."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.slack.deps import Deps
from bot.slack.listeners.actions.share import share_in_channel
from bot.slack.listeners.actions.why import explain
from bot.slack.render.customer import ACTION_SHARE, ACTION_WHY


def ack_click(ack: Ack) -> None:
    ack()


def register(app: App, deps: Deps) -> None:
    app.action(ACTION_WHY)(ack=ack_click, lazy=[explain(deps)])
    app.action(ACTION_SHARE)(ack=ack_click, lazy=[share_in_channel(deps)])
