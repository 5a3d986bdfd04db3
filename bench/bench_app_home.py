"""Benchmark building and publishing a user's App Home on a 1M-customer store.

    .venv/bin/python bench/bench_app_home.py                  # 1M customers (bench_score's data)
    .venv/bin/python bench/bench_app_home.py --customers 20000

1. Takes bench_digest.py's scored store (1M customers, scored as of 2024-12-31 with a
   backfilled week; built and cached when missing) and works on a copy of it (migrated).
2. Times building the view, `--rounds` times: `build_home` (one snapshot read: the run, the
   weekly trend, the top of the dormant and overdue lists with the policy's verdicts, the
   overdue count, the latest alerts, the model status) plus `render_home` (the blocks). The
   issue's target: under 100 ms at 1M customers.
3. Times `publish_home` end to end against the sandbox's Web API on a loopback port (the
   first publish of the run draws and uploads the chart; later ones reuse it), and a scoring
   run's `refresh_homes` for 50 recent visitors.

Prints the median and the slowest of each; exits 0.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bench_digest  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bot.sandbox import SandboxConfig, ServerThread, Workspace, bind, build_sandbox  # noqa: E402
from clv.settings import Settings  # noqa: E402
from clv.store import make_engine, read_snapshot, upgrade  # noqa: E402
from clv.store.tables import app_home_views_table  # noqa: E402
from reports.digest.publish import digest_client  # noqa: E402
from reports.home.data import build_home  # noqa: E402
from reports.home.publish import publish_home  # noqa: E402
from reports.home.refresh import refresh_homes  # noqa: E402
from reports.home.render import render_home  # noqa: E402

NOW = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
TOKEN = "xoxb-bench-token"


def ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples):7.1f} ms, max {max(samples):7.1f} ms"


def build_view(engine, settings: Settings, rounds: int) -> None:  # type: ignore[no-untyped-def]
    reads, renders, totals = [], [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        with read_snapshot(engine) as session:
            home = build_home(session, settings, now=NOW)
        t1 = time.perf_counter()
        view = render_home(home, chart_file_id="F0BENCH")
        t2 = time.perf_counter()
        reads.append((t1 - t0) * 1000)
        renders.append((t2 - t1) * 1000)
        totals.append((t2 - t0) * 1000)
    print(f"build_home (read)            {ms(reads)}")
    print(f"render_home                  {ms(renders)}")
    print(f"view built (read + render)   {ms(totals)}   target < 100 ms")
    print(f"  {len(view['blocks'])} blocks; {home.dormant_total:,} dormant, "
          f"{home.overdue_total:,} overdue, {len(home.trend)} trend weeks")  # fmt: skip


def publish(engine, settings: Settings, rounds: int) -> None:  # type: ignore[no-untyped-def]
    config = SandboxConfig(bot_events_url="http://127.0.0.1:9/slack/events",
                           signing_secret="unused", bot_token=TOKEN)  # fmt: skip
    server = ServerThread(build_sandbox(config, Workspace(any_channel=True)), bind(0), "bench")
    server.start()
    try:
        bot = settings.model_copy(update={"slack_api_url": f"{server.url}/api/"})
        client = digest_client(bot)
        with engine.begin() as connection:
            connection.execute(insert(app_home_views_table), [
                {"user_id": f"U{i:08d}", "opened_at": NOW} for i in range(50)])  # fmt: skip
        samples = []
        for i in range(rounds + 1):
            t0 = time.perf_counter()
            publish_home(engine, bot, client, f"U{i % 50:08d}", now=NOW)
            samples.append((time.perf_counter() - t0) * 1000)
        print(f"publish_home, first (chart drawn and uploaded) {samples[0]:7.1f} ms")
        print(f"publish_home, later                 {ms(samples[1:])}")
        with engine.begin() as connection:
            connection.execute(app_home_views_table.update().values(published_run_id=None))
        t0 = time.perf_counter()
        count = refresh_homes(engine, bot, client, now=NOW)
        print(f"refresh_homes, {count} homes          {(time.perf_counter() - t0) * 1000:7.1f} ms")
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--workdir", default="/tmp/clvbench")
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    args.rounds, rounds = 1, args.rounds  # bench_digest reads .rounds for its own timing
    scored = bench_digest.scored_store(args)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        path = Path(tmp) / "home.db"
        shutil.copyfile(scored, path)
        url = f"sqlite:///{path}"
        settings = Settings(database_url=url, slack_bot_token=TOKEN,  # type: ignore[call-arg]
                            _env_file=None)  # fmt: skip
        engine = make_engine(url)
        upgrade(engine)
        print(f"store: {args.customers:,} customers, copy of {scored.name}")
        build_view(engine, settings, rounds)
        publish(engine, settings, min(rounds, 20))
        engine.dispose()


if __name__ == "__main__":
    main()
