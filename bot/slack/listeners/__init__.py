"""Every listener, registered in one place (as in Slack's bolt-python starter template)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.slack.deps import Deps
from bot.slack.listeners import actions, commands, home, lookup
from bot.slack.listeners.access import access_guard
from bot.slack.listeners.dedupe import SeenEvents, skip_redelivered_events
from bot.slack.respond import reliable_respond

VERIFIED = "clvbot_verified"  # set on the context of a request that passed bolt's checks


def mark_verified(context: dict[str, Any], next: Callable[[], None]) -> None:
    """The first middleware of ours: only a request bolt verified (or Socket Mode) gets here."""
    context[VERIFIED] = True
    next()


def register_listeners(app: App, deps: Deps) -> None:
    app.middleware(mark_verified)
    app.middleware(skip_redelivered_events(SeenEvents()))  # Slack's retries of an event
    app.middleware(reliable_respond)
    app.middleware(access_guard(deps))
    commands.register(app, deps)
    actions.register(app, deps)
    home.register(app, deps)
    lookup.register(app, deps)
