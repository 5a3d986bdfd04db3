"""Customers named in Slack: link unfurls (`link_shared` -> `chat.unfurl`), the message
shortcut "CLV of this customer", and the "Look up a customer" modal (global shortcut and the
App Home button `reports.home.OPEN_LOOKUP`)."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.deps import Deps


def register(app: App, deps: Deps) -> None:
    """Nothing yet: the unfurl and shortcut listeners arrive with issue 17."""
