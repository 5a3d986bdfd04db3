"""Benchmark the alerts after a scoring run and the outreach report on a 1M-customer store.

    .venv/bin/python bench/bench_alerts.py                  # 1M customers (bench_score's data)
    .venv/bin/python bench/bench_alerts.py --customers 20000

1. Takes bench_digest.py's scored store (1M customers, scored as of 2024-12-31 with a
   backfilled week; built and cached when missing) and works on a copy of it.
2. Times `evaluate_alerts` with every rule on (VIPs of Platinum and Gold turned dormant or
   overdue, equity drop, channels, drift): the first evaluation of the run day (which writes
   the firings, the rule's subjects and the listed customers' arms) and a second one (the
   re-run of the same day: nothing new), and renders each firing as its Slack message.
3. Records `--assigned` list customers (10 % held out by the seeded hash) with a sent outreach
   for each contact-arm customer and times `experiment_report` (the digest's outreach
   results, by week and tier).

There are no targets in the issue for these; the figures go in its note. It exits 0.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bench_digest  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from clv.alerts.evaluate import evaluate_alerts  # noqa: E402
from clv.outreach.experiment import experiment_report  # noqa: E402
from clv.outreach.holdout import HoldoutRules, draw_arm  # noqa: E402
from clv.settings import Settings  # noqa: E402
from clv.store import make_engine, read_snapshot  # noqa: E402
from clv.store.tables import (  # noqa: E402
    alert_subjects_table,
    alerts_table,
    customer_scores_table,
    customers_table,
    outreach_assignments_table,
    outreach_table,
)
from reports.alerts.publish import listed_verdicts  # noqa: E402
from reports.alerts.render import render_alert  # noqa: E402

NOW = datetime(2025, 1, 1, 3, 0, tzinfo=UTC)
scores = customer_scores_table  # the night after the as-of day


def timed(label: str, work):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    result = work()
    print(f"{label:44s} {(time.perf_counter() - t0) * 1000:9.1f} ms")
    return result


def alerts(engine, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    first = timed("evaluate_alerts, first of the run day", lambda: evaluate_alerts(
        engine, settings, now=NOW))  # fmt: skip
    again = timed("evaluate_alerts, the same day again", lambda: evaluate_alerts(
        engine, settings, now=NOW + timedelta(hours=1)))  # fmt: skip
    with engine.connect() as connection:
        rows = connection.execute(select(alerts_table)).all()
        subjects = connection.execute(
            select(func.count()).select_from(alert_subjects_table)
        ).scalar_one()
    print(f"firings {[f.rule for f in first.firings]}: {first.inserted} rows written, "
          f"{again.inserted} on the re-run; {subjects:,} VIP subjects seen")  # fmt: skip
    for row in rows:
        message = timed(f"render {row.rule}", lambda row=row: render_alert(
            row.id, row.rule, row.summary, row.payload,
            listed_verdicts(engine, settings, row.payload, NOW)))  # fmt: skip
        print(f"  {row.summary} ({len(message['blocks'])} blocks)")


def experiment(engine, assigned: int) -> None:  # type: ignore[no-untyped-def]
    week = (NOW - timedelta(days=21)).date()
    week = week - timedelta(days=(week.weekday() + 1) % 7)  # a Sunday
    at = datetime.combine(week + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    rules = HoldoutRules(0.10, "clvbot")
    with engine.begin() as connection:
        people = connection.execute(
            select(customers_table.c.id, customers_table.c.external_id)
            .join(
                customer_scores_table, customer_scores_table.c.customer_id == customers_table.c.id
            )
            .where(scores.c.dormant.is_(True))
            .limit(assigned)
        ).all()
        arms = {p.id: draw_arm(p.external_id, week, rules) for p in people}
        connection.execute(insert(outreach_assignments_table), [
            {"customer_id": i, "week_end": week, "arm": arm, "assigned_at": at,
             "source": "bench", "reason": "dormant", "tier": "Gold", "segment": "At Risk",
             "predicted_clv": 1.0} for i, arm in arms.items()])  # fmt: skip
        connection.execute(insert(outreach_table), [
            {"customer_id": i, "requested_by": "UBENCH", "requested_at": at, "backend": "log",
             "status": "sent", "finished_at": at + timedelta(hours=1)}
            for i, arm in arms.items() if arm == "contact"])  # fmt: skip
    with read_snapshot(engine) as session:
        report = timed(f"experiment_report, {len(arms):,} assigned", lambda: experiment_report(
            session, now=NOW, exponent=2))  # fmt: skip
    lift = report.overall.contacted
    print(f"  {lift.contacted.customers:,} contacted, {lift.held_out.customers:,} held out; "
          f"difference {lift.rate_difference:+.4f} [{lift.rate_interval.low:+.4f}, "
          f"{lift.rate_interval.high:+.4f}]")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--workdir", default="/tmp/clvbench")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--assigned", type=int, default=20_000)
    args = ap.parse_args()
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    scored = bench_digest.scored_store(args)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        path = Path(tmp) / "alerts.db"
        shutil.copyfile(scored, path)
        url = f"sqlite:///{path}"
        settings = Settings(database_url=url, alerts_channel="C0BENCH",  # type: ignore[call-arg]
                            _env_file=None)  # fmt: skip
        engine = make_engine(url)
        print(f"store: {args.customers:,} customers, copy of {scored.name}")
        alerts(engine, settings)
        experiment(engine, args.assigned)
        engine.dispose()


if __name__ == "__main__":
    main()
