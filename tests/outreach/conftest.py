"""Fixtures for outreach: a real SMTP server, a real HTTP webhook receiver, store rows."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from clv.scoring.partitions import partition_name, partitioned
from clv.settings import Settings
from clv.store.current import current_run_id
from clv.store.tables import (
    customer_scores_table,
    customers_table,
    orders_table,
    scoring_runs_table,
)
from tests.smtp import SmtpServer, free_port

NOW = datetime(2024, 6, 2, 10, 0, tzinfo=UTC)
# for tests whose point is not the database: the SQLite leg is enough
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
UNSUBSCRIBE = "https://shop.example/unsubscribe?email={email}&customer={customer_id}"


def add_customer(
    engine: Engine,
    key: str,
    *,
    email: str | None = "",
    name: str | None = None,
    opted_out: bool = False,
    last_order: datetime | None = None,
    dormant: bool | None = True,
) -> int:
    """A customer (email defaults to `<key>@example.com`), with one order at `last_order`,
    scored in the current run as dormant (an outreach target) or not; None: not scored."""
    with engine.begin() as connection:
        customer_id: int = connection.execute(
            insert(customers_table)
            .values(
                external_id=key,
                email=f"{key.lower()}@example.com" if email == "" else email,
                name=name,
                opted_out=opted_out,
            )
            .returning(customers_table.c.id)
        ).scalar_one()
    if last_order is not None:
        add_order(engine, customer_id, f"{key}-first", last_order, 4_200)
    if dormant is not None:
        add_score(engine, customer_id, dormant=dormant)
    return customer_id


def add_score(engine: Engine, customer_id: int, *, dormant: bool) -> None:
    """`customer_id`'s row in the current full run (created on first use), dormant or not:
    what the server checks before any outreach. Neutral values elsewhere."""
    with engine.begin() as connection:
        run_id = current_run_id(connection)
        if run_id is None:
            run_id = connection.execute(
                insert(scoring_runs_table).returning(scoring_runs_table.c.id),
                {"as_of": NOW.date(), "week_end": NOW.date(), "status": "complete",
                 "kind": "full", "model": "mbgnbd", "started_at": NOW, "customer_equity": 0.0,
                 "mean_clv": 0.0, "revenue_week_minor": 0, "details": {}},
            ).scalar_one()  # fmt: skip
        if partitioned(connection):  # a full run's scores are its own partition there
            connection.exec_driver_sql(
                f"CREATE TABLE IF NOT EXISTS {partition_name(run_id)} "
                f"PARTITION OF customer_scores FOR VALUES IN ({int(run_id)})"
            )
        connection.execute(
            insert(customer_scores_table),
            {"run_id": run_id, "customer_id": customer_id, "orders": 1, "refunds": 0,
             "historical_value_minor": 4_200, "frequency": 0, "recency": 0.0, "tenure": 0.0,
             "monetary": 42.0, "predicted_clv": 0.0, "formula_clv": 0.0,
             "expected_purchases_90d": 0.0, "expected_spend": 0.0, "r_score": 1, "f_score": 1,
             "m_score": 1, "segment": "Hibernating", "stage": "dormant" if dormant else "new",
             "dormant": dormant, "value_at_stake": 0.0},
        )  # fmt: skip


def add_order(engine: Engine, customer_id: int, key: str, at: datetime, amount_minor: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(orders_table).values(
                external_id=key,
                customer_id=customer_id,
                ordered_at=at,
                ordered_on=at.date(),
                amount_minor=amount_minor,
            )
        )


@pytest.fixture
def smtp_down() -> Iterator[SmtpServer]:
    """A port where no SMTP server listens yet; `.start()` brings one up."""
    server = SmtpServer(port=free_port())
    yield server
    server.stop()


def smtp_settings(settings: Settings, port: int, **changes: Any) -> Settings:
    return settings.model_copy(
        update={
            "outreach_backend": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_starttls": False,
            "smtp_from": "Zoë's Books <hello@books.example>",
            "shop_name": "Zoë's Books",
            "outreach_unsubscribe_url": UNSUBSCRIBE,
            **changes,
        }
    )


@dataclass
class WebhookReceiver:
    """A real HTTP server; each request takes the next scripted answer (then 200)."""

    url: str
    script: list[int | float]  # an int: answer with that status; a float: sleep that long
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(url="", script=[])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            step = receiver.script.pop(0) if receiver.script else 200
            if isinstance(step, float):
                time.sleep(step)
                step = 200
            try:
                self.send_response(step)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
            except OSError:
                pass  # the client gave up waiting

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/clvbot?token=t0k3n"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()
    thread.join()


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)
