"""A small scored shop on each backend, a fake Slack, and the digest job's context."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from clv.ingest import import_customers, import_orders
from clv.scoring.pipeline import score
from clv.settings import Settings, get_settings
from tests.bot.fake_slack import FakeSlack, start_fake_slack
from tests.helpers import built_once, write_csv

AS_OF = date(2024, 6, 30)  # a Sunday: the week ending that day is complete on Monday
MONDAY_9AM = datetime(2024, 7, 1, 9, 0, tzinfo=UTC)
TUESDAY = date(2024, 7, 2)  # scored mid-week, as `make demo` on a Tuesday does
CHANNEL = "C0DIGEST01"
DIGEST_TOKEN = "xoxb-test-digest-token"


def build_small_shop(
    engine: Engine,
    settings: Settings,
    workdir: Path,
    customers: int = 400,
    *,
    as_of: date = AS_OF,
    backfill: int = 3,
) -> None:
    """`customers` buyers over a year (fixed seed), #1 opted out, scored as of `as_of` with
    `backfill` weeks of history (orders run to 30 Jun 2024).

    Built once per store kind, arguments and settings in a session; an empty store given the
    same again gets a copy of that database (same rows, ids and scores) and `workdir` the same
    CSV files, which is many times faster than importing and scoring again."""

    def build() -> None:
        _build_small_shop(engine, settings, workdir, customers, as_of=as_of, backfill=backfill)

    used = repr(settings.model_dump(exclude={"database_url"}))
    url = engine.url.render_as_string(hide_password=False)
    built_once(url, workdir, ("small shop", customers, as_of, backfill, used), build, engine=engine)


def _build_small_shop(
    engine: Engine,
    settings: Settings,
    workdir: Path,
    customers: int,
    *,
    as_of: date,
    backfill: int,
) -> None:
    rng = np.random.default_rng(7)
    start = datetime(2023, 7, 1, 12, tzinfo=UTC)
    rows, people = [], []
    for c in range(1, customers + 1):
        people.append(
            [str(c), f"buyer{c}@example.com", f"Buyer Number{c}", "yes" if c == 1 else ""]
        )
        # BG/NBD: purchase rate ~ Gamma(0.8, rate 30 days), drop-out chance ~ Beta(1, 3)
        rate, dropout = rng.gamma(0.8, 1 / 30.0), rng.beta(1.0, 3.0)
        scale = rng.gamma(3.0, 4.0)  # Gamma-Gamma: each customer's own mean spend
        day, k = float(rng.uniform(0, 300)), 0
        while day <= 365:
            at = start + timedelta(days=day)
            rows.append([f"o{c}-{k}", str(c), at.isoformat(), f"{rng.gamma(4.0, scale):.2f}"])
            if rng.random() < dropout:
                break
            day, k = day + float(rng.exponential(1 / rate)), k + 1
    import_customers(
        engine,
        write_csv(workdir / "customers.csv", ["customer_id", "email", "name", "opted_out"], people),
        settings,
    )
    import_orders(
        engine,
        write_csv(
            workdir / "orders.csv", ["order_id", "customer_id", "ordered_at", "amount"], rows
        ),
        settings,
    )
    score(engine, settings, as_of=as_of, model="mbgnbd", backfill=backfill)


@pytest.fixture
def shop(engine: Engine, settings: Settings, tmp_path: Path) -> Engine:
    build_small_shop(engine, settings, tmp_path)
    return engine


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = start_fake_slack(DIGEST_TOKEN)
    fake.ts_base = MONDAY_9AM.timestamp()  # Slack's clock agrees with the frozen one
    yield fake
    fake.stop()


@pytest.fixture
def digest_settings(settings: Settings, fake_slack: FakeSlack) -> Settings:
    return settings.model_copy(
        update={
            "digest_channel": CHANNEL,
            "slack_bot_token": SecretStr(DIGEST_TOKEN),
            "slack_api_url": f"{fake_slack.url}/api/",
        }
    )


@pytest.fixture
def cli_settings(
    database_url: str, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeSlack]:
    """The environment `clvbot digest` reads: the test store, UTC, the fake Slack, CHANNEL."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TIMEZONE", "UTC")
    monkeypatch.setenv("SLACK_BOT_TOKEN", DIGEST_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", f"{fake_slack.url}/api/")
    monkeypatch.setenv("DIGEST_CHANNEL", CHANNEL)
    get_settings.cache_clear()
    yield fake_slack
    get_settings.cache_clear()
