"""What every listener needs, built once at start."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from clv.settings import Settings


@dataclass(frozen=True)
class Deps:
    settings: Settings
    engine: Engine
