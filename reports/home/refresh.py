"""After a scoring run: rebuild the home tab of each user who opened it recently."""

from __future__ import annotations

from datetime import datetime

from slack_sdk import WebClient
from sqlalchemy import Engine

from clv.settings import Settings


def refresh_homes(engine: Engine, settings: Settings, client: WebClient, *, now: datetime) -> int:
    """The number of home tabs republished (none yet: App Home arrives with issue 17)."""
    return 0
