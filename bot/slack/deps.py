"""What every listener needs, built once at start."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from clv.outreach import OutreachBackend, make_backend
from clv.settings import Settings
from clv.store import make_engine


def bot_engine(settings: Settings) -> Engine:
    """The engine the handlers use: every wait on the store bounded by STORE_TIMEOUT_SECONDS
    (the scheduler's batch jobs get an engine of their own, without that bound)."""
    return make_engine(settings.database_url, timeout=settings.store_timeout_seconds)


@dataclass(frozen=True)
class Deps:
    settings: Settings
    engine: Engine
    # built at start, so a missing outreach setting stops the bot instead of failing a click
    outreach: OutreachBackend = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "outreach", make_backend(self.settings))
