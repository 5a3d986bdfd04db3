"""Fixtures: a sandbox on a real loopback port in front of a fake bot, and a WebClient on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlmodel import Session

from bot.cli.demo import RunningDemo, start_demo
from bot.sandbox import SandboxConfig, ServerThread, Workspace, bind, build_sandbox
from clv.insights import dormant_customers, top_customers
from clv.insights.lists import RankedCustomer
from clv.outreach.policy import OutreachRules
from tests.sandbox.fake_bot import SECRET, TOKEN, FakeBot


@dataclass
class Sandbox:
    server: ServerThread
    workspace: Workspace
    bot: FakeBot

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, token: str = TOKEN) -> WebClient:
        return WebClient(token=token, base_url=f"{self.url}/api/")


@pytest.fixture
def sandbox() -> Iterator[Callable[..., Sandbox]]:
    """`sandbox(reply=..., **config)`: a served sandbox whose bot is a `FakeBot`."""
    started: list[Sandbox] = []

    def start(reply: Any = None, **config: Any) -> Sandbox:
        bot = FakeBot(reply) if reply else FakeBot()
        bot.start()
        workspace = Workspace()
        defaults = {"bot_events_url": bot.events_url, "signing_secret": SECRET, "bot_token": TOKEN}
        settings = SandboxConfig(**{**defaults, **config})
        server = ServerThread(build_sandbox(settings, workspace), bind(0), "sandbox").start()
        started.append(Sandbox(server, workspace, bot))
        return started[-1]

    yield start
    for box in started:
        box.server.stop()
        box.bot.stop()


@pytest.fixture(scope="session")
def running_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    """`clvbot demo` as the CLI starts it (smaller shop), on free loopback ports."""
    database = tmp_path_factory.mktemp("demo") / "clvbot-demo.db"
    running = start_demo(port=0, customers=800, database=database)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def top_customer(running_demo: RunningDemo) -> RankedCustomer:
    with Session(running_demo.engine) as session:
        return top_customers(session, limit=1).rows[0]


@pytest.fixture(scope="session")
def outreach_target(running_demo: RunningDemo) -> RankedCustomer:
    """The most valuable dormant customer the demo's bot may contact: not opted out, with an
    email, and not held out as the control group (the demo's own rules, holdout included)."""
    settings = running_demo.settings
    rules = OutreachRules.of(settings)  # the smtp backend: an address is required
    with Session(running_demo.engine) as session:
        ranked = dormant_customers(session, limit=settings.digest_dormant_limit, rules=rules,
                                   now=datetime.now(UTC))  # fmt: skip
    return next(r for r in ranked.rows if r.outreach and r.outreach.eligible and r.email)
