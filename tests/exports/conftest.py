"""A small scored shop on each backend whose customers include hostile names and emails (the
values a spreadsheet would run as formulas, a refund that leaves a negative value), and a real
HTTP server playing the CRM's endpoint."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine

from clv.ingest import import_customers, import_orders
from clv.outreach.policy import OutreachRules
from clv.scoring.pipeline import score
from clv.settings import Settings
from tests.helpers import ORDER_HEADER, built_once, write_csv

AS_OF = date(2024, 6, 30)  # a Sunday: the run's list week ends that day
NOW = datetime(2024, 7, 1, 9, 0, tzinfo=UTC)
RULES = OutreachRules.of(Settings(_env_file=None))  # type: ignore[call-arg]  # 10 % held out
# (customer id, email, name): every one dormant (one order a year before AS_OF)
HOSTILE = (
    ("h1", "=cmd@example.com", '=HYPERLINK("http://evil")'),
    ("h2", "plus@example.com", "+1"),
    ("h3", "minus@example.com", "-2"),
    ("@h4", "at@example.com", "@SUM(A1)"),
    ("-h5", "refund@example.com", 'Zoë O\'Brien, "the" buyer'),  # refunded more than spent
)
CUSTOMERS = 200  # besides the hostile ones


def _orders(rng: np.random.Generator) -> list[list[str]]:
    start = datetime(2023, 7, 1, 12, tzinfo=UTC)
    rows = []
    for c in range(1, CUSTOMERS + 1):
        rate, dropout = rng.gamma(0.8, 1 / 30.0), rng.beta(1.0, 3.0)
        scale, day, k = rng.gamma(3.0, 4.0), float(rng.uniform(0, 300)), 0
        while day <= 365:
            at = (start + timedelta(days=day)).isoformat()
            rows.append([f"o{c}-{k}", str(c), at, f"{rng.gamma(4.0, scale):.2f}"])
            if rng.random() < dropout:
                break
            day, k = day + float(rng.exponential(1 / rate)), k + 1
    for key, _, _ in HOSTILE:
        rows.append([f"o-{key}", key, "2023-07-02T12:00:00+00:00", "30.00"])
    rows.append(["o-refund", "-h5", "2023-07-09T12:00:00+00:00", "-50.00"])
    return rows


def build_hostile_shop(engine: Engine, settings: Settings, workdir: Path) -> None:
    """Import and score the shop (built once a session per backend; later stores are copies)."""

    def build() -> None:
        people = [[str(c), f"buyer{c}@example.com", f"Buyer {c}"] for c in range(1, CUSTOMERS + 1)]
        people += [list(customer) for customer in HOSTILE]
        header = ["customer_id", "email", "name"]
        import_customers(engine, write_csv(workdir / "customers.csv", header, people), settings)
        orders = write_csv(workdir / "orders.csv", ORDER_HEADER, _orders(np.random.default_rng(5)))
        import_orders(engine, orders, settings)
        score(engine, settings, as_of=AS_OF, model="mbgnbd")

    url = engine.url.render_as_string(hide_password=False)
    built_once(url, workdir, ("hostile export shop", CUSTOMERS), build, engine=engine)


@pytest.fixture
def shop(engine: Engine, settings: Settings, tmp_path: Path) -> Engine:
    build_hostile_shop(engine, settings, tmp_path)
    return engine


@dataclass
class Receiver:
    """A real HTTP server (the CRM's endpoint); each POST takes the next scripted status (then
    200) and is kept with its headers (lower-cased) and exact body."""

    url: str
    script: list[int]
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@contextmanager
def receiving() -> Iterator[Receiver]:
    """A `Receiver` listening on a free loopback port until the block ends."""
    found = Receiver(url="", script=[])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            found.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(found.script.pop(0) if found.script else 200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    found.url = f"http://127.0.0.1:{server.server_address[1]}/audiences/clvbot?token=t0k3n"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found
