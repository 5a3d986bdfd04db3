"""App Home: `app_home_opened` publishes the user's home; its Segment modal."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.deps import Deps


def register(app: App, deps: Deps) -> None:
    """Nothing yet: the App Home listeners arrive with issue 17."""
