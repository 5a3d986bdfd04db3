"""Fixtures for the Slack front door (a fake Web API, a scored CDNOW store, the served bot),
shared by the bot tests and the fault suite (registered in tests/conftest.py)."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from clv.datasets import write_cdnow_orders_csv
from clv.ingest import import_customers, import_orders
from clv.scoring.pipeline import score
from clv.settings import Settings
from clv.store import make_engine, upgrade
from tests.bot.fake_slack import FakeSlack, start_fake_slack
from tests.bot.served import BOT_TOKEN, DispatchedBot, ServedBot, bot_settings

INJECTED_NAME = "<!channel> <https://evil.example|click> & co"
LONG_NAME = ("&<>" * 90)[:250]


def write_customers_csv(path: Path, customers: int = 2357) -> Path:
    """Customer 1 is Jane Doe (CAC and NPS known), 2 has a name that tries mrkdwn injection,
    every other one a 250-character name of `&<>` (five times longer once escaped)."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["customer_id", "email", "name", "acquisition_cost", "nps"])
        writer.writerow(["1", "jane.doe@example.com", "Jane Doe", "5.00", "9"])
        writer.writerow(["2", "evil@example.com", INJECTED_NAME, "500.00", ""])
        for i in range(3, customers + 1):
            writer.writerow([str(i), f"buyer{i}@example.com", LONG_NAME, "", ""])
    return path


def build_scored_store(database_url: str, workdir: Path) -> None:
    """CDNOW sample scored as of 1997-09-30 with BG/NBD and two backfilled weeks."""
    settings = Settings(database_url=database_url, timezone="UTC", _env_file=None)  # type: ignore[call-arg]
    engine = make_engine(database_url)
    try:
        import_customers(engine, write_customers_csv(workdir / "customers.csv"), settings)
        import_orders(engine, write_cdnow_orders_csv(workdir / "cdnow.csv"), settings)
        score(engine, settings, as_of=date(1997, 9, 30), model="bgnbd", backfill=2)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def scored_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One scored SQLite store for the session; tests that change it work on a copy."""
    workdir = tmp_path_factory.mktemp("scored")
    path = workdir / "clvbot.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    build_scored_store(f"sqlite:///{path}", workdir)
    return path


@pytest.fixture
def store_copy(scored_sqlite: Path, tmp_path: Path) -> str:
    """A private copy of the scored store (for tests that break it)."""
    target = tmp_path / "copy.db"
    shutil.copyfile(scored_sqlite, target)
    return f"sqlite:///{target}"


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = start_fake_slack(BOT_TOKEN)
    yield fake
    fake.stop()


@pytest.fixture
def serve(fake_slack: FakeSlack) -> Iterator[Callable[..., ServedBot]]:
    """`serve(database_url, **settings)` starts the bot; every bot is stopped afterwards."""
    bots: list[ServedBot] = []

    def start(database_url: str, **overrides: Any) -> ServedBot:
        bot = ServedBot(bot_settings(database_url, fake_slack, **overrides), fake_slack)
        bots.append(bot)
        return bot

    yield start
    for bot in bots:
        bot.stop()


@pytest.fixture
def bot(fake_slack: FakeSlack, scored_sqlite: Path) -> Iterator[DispatchedBot]:
    """The bolt app on the scored CDNOW store, dispatched to directly (no HTTP)."""
    dispatched = DispatchedBot(bot_settings(f"sqlite:///{scored_sqlite}", fake_slack), fake_slack)
    yield dispatched
    dispatched.stop()


@pytest.fixture
def served_bot(serve: Callable[..., ServedBot], scored_sqlite: Path) -> ServedBot:
    """The same bot served over real HTTP: for signing, the server and its limits."""
    return serve(f"sqlite:///{scored_sqlite}")
