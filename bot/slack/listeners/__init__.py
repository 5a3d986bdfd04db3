"""Every listener, registered in one place (as in Slack's bolt-python starter template)."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.deps import Deps
from bot.slack.listeners import actions, commands
from bot.slack.listeners.access import access_guard


def register_listeners(app: App, deps: Deps) -> None:
    app.middleware(access_guard(deps))
    commands.register(app, deps)
    actions.register(app, deps)
