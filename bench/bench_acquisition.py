"""Benchmark the acquisition reports (issue 14): what they add to `clvbot score`, and how fast
`/clv channels`, `funnel`, `cohorts` and `nps` read them back.

    env -u PYTHONDONTWRITEBYTECODE .venv/bin/python bench/bench_acquisition.py
    .venv/bin/python bench/bench_acquisition.py --customers 20000 --rounds 3 --calls 50

1. Takes the 1M-customer / ~10M-order SQLite store of bench/bench_score.py (built and cached
   in --workdir when missing) and gives its customers acquisition attributes by SQL UPDATE
   with a fixed rule on the id: a channel among six names (a fifth NULL), a CAC of 500-6000
   cents (NULL for two channels), an NPS answer 0-10 for a fifth, and for half of them an
   acquisition time one to seven days before their first order.
2. Times `clvbot score --as-of 2024-12-31` in a fresh process (wall time, peak RSS from
   `/usr/bin/time -v`) on a fresh copy of that store: "before" is the code at commit 8112686
   (a git worktree in /tmp/clvbot-before, on PYTHONPATH, store at its schema 0006), "after"
   is this working tree (schema 0007). The two alternate, before, after, before ...
3. On the last "after" store, in this process: the read models in clv.insights.channels and
   clv.insights.cohorts and the full Slack answers (bot.slack.answers.answer), each in its own
   `read_snapshot` session as the bot reads, 5 warm-up calls then --calls timed calls.
4. Prints the stored payload sizes and, from in-process runs of clv.scoring.pipeline.score,
   the time spent in acquisition_reports (timed in place, and the run with it stubbed out).
5. Prints the targets with PASS/FAIL: read median < 20 ms, scoring no more than 10 % slower.

This is a benchmark, not a test: it exits 0 whatever the numbers. It removes its worktree
and its store copies at the end; bench_score's cached store stays in --workdir.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bench_score  # noqa: E402  (bench/ is not a package)

BEFORE_COMMIT = "8112686"
BEFORE_TREE = Path("/tmp/clvbot-before")
AS_OF = bench_score.AS_OF
WARMUP = 5
TARGET_READ_MS = 20.0
TARGET_SLOWDOWN = 0.10
PACKAGES = ("bot", "clv", "reports")

# id % 10 -> channel (None: no channel); CAC is NULL for the organic and referral channels
CHANNELS = {
    0: None,
    1: "Organic search",
    2: "Paid search",
    3: "Paid social",
    4: "Email",
    5: None,
    6: "Organic search",
    7: "Referral",
    8: "Paid social",
    9: "Affiliate",
}
NO_CAC = ("Organic search", "Referral")
CHANNEL_CASE = "CASE id % 10 " + " ".join(
    f"WHEN {k} THEN {'NULL' if v is None else repr(v)}" for k, v in CHANNELS.items()
)
ATTRIBUTE_SQL = (
    f"UPDATE customers SET channel = {CHANNEL_CASE} END",
    "UPDATE customers SET acquisition_cost_minor = CASE WHEN channel IS NULL OR channel IN "
    f"({', '.join(repr(c) for c in NO_CAC)}) THEN NULL ELSE 500 + (id * 7919) % 5501 END",
    "UPDATE customers SET nps = CASE WHEN (id / 20) % 5 = 0 THEN (id * 37 + id / 7) % 11 END",
    # about half: a UTC time 1-7 days (and some hours) before the first order's day
    "UPDATE customers SET acquired_at = (SELECT strftime('%Y-%m-%d %H:%M:%S.000000', "
    "min(o.ordered_on), '-' || (1 + customers.id % 7) || ' days', "
    "'+' || (customers.id % 24) || ' hours') FROM orders o WHERE o.customer_id = customers.id) "
    "WHERE (id / 10) % 2 = 0",
)


# ------------------------------------------------------------------------------ stores
def cli(tree: Path | None, db: Path, *argv: str, timed: bool = False) -> tuple[Any, float]:
    """`clvbot ARGV` on `db` in a fresh process, from `tree` (None: this working tree)."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    env.pop("PYTHONPATH", None)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)  # ahead of the editable install's finder
    cmd = [str(bench_score.clvbot_path()), *argv]
    if timed:
        cmd = [str(bench_score.TIME_V), "-v", *cmd]
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=env, cwd=tree or ROOT, check=False
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"clvbot {' '.join(argv)} failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return proc, wall


def sql(db: Path, query: str, *params: Any) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(query, params).fetchall()
    finally:
        con.close()


def copy_store(src: Path, dst: Path) -> Path:
    remove_store(dst)
    shutil.copyfile(src, dst)
    return dst


def remove_store(db: Path) -> None:
    """The file, its -wal/-shm and clvbot's lock files beside it (`NAME.db*`)."""
    for path in db.parent.glob(f"{db.name}*"):
        path.unlink(missing_ok=True)


def to_schema_0006(db: Path) -> None:
    """A store bench_score built at 0007 back to 0006, as migration 0007's downgrade does."""
    (version,) = sql(db, "SELECT version_num FROM alembic_version")[0]
    if version == "0007":
        con = sqlite3.connect(db, isolation_level=None)
        try:
            con.execute("BEGIN")
            con.execute("DROP TABLE run_reports")
            con.execute("UPDATE alembic_version SET version_num = '0006'")
            con.execute("COMMIT")
        finally:
            con.close()


def apply_attributes(db: Path) -> float:
    con = sqlite3.connect(db, isolation_level=None)
    try:
        t0 = time.perf_counter()
        con.execute("BEGIN")
        for statement in ATTRIBUTE_SQL:
            con.execute(statement)
        con.execute("COMMIT")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return time.perf_counter() - t0
    finally:
        con.close()


def prepare_stores(cached: Path, workdir: Path) -> tuple[Path, Path]:
    """The attributed store at the old code's schema and (a copy of it) at this tree's."""
    before = copy_store(cached, workdir / "acq_before.db")
    to_schema_0006(before)
    proc, _ = cli(BEFORE_TREE, before, "db", "upgrade")
    print(f"before store: old code's db upgrade: {proc.stdout.strip()}", flush=True)
    seconds = apply_attributes(before)
    after = copy_store(before, workdir / "acq_after.db")
    proc, _ = cli(None, after, "db", "upgrade")
    print(f"after store: this tree's db upgrade: {proc.stdout.strip()}", flush=True)
    rows = sql(
        after,
        "SELECT coalesce(channel, '(none)'), count(*), count(acquisition_cost_minor), "
        "min(acquisition_cost_minor), max(acquisition_cost_minor), count(nps), "
        "count(acquired_at) FROM customers GROUP BY 1 ORDER BY 1",
    )
    print(f"attributes applied in {seconds:.1f} s (untimed):")
    for name, n, cac, lo, hi, nps, acq in rows:
        print(f"  {name:15s} {n:>8,} customers, CAC {cac:>7,} ({lo}-{hi}), NPS {nps:>7,}, "
              f"acquired_at {acq:>7,}")  # fmt: skip
    first = sql(
        after,
        "SELECT c.acquired_at, min(o.ordered_on) FROM customers c JOIN orders o "
        "ON o.customer_id = c.id WHERE c.id = 20 GROUP BY c.id",
    )
    print(f"  e.g. customer 20: acquired_at {first[0][0]}, first order day {first[0][1]}")
    return before, after


# ----------------------------------------------------------------------------- scoring
@dataclass
class Run:
    side: str
    seconds: float
    maxrss_mb: float
    output: str


def score_once(side: str, template: Path, workdir: Path) -> tuple[Run, Path]:
    db = copy_store(template, workdir / f"acq_score_{side}.db")
    tree = BEFORE_TREE if side == "before" else None
    proc, wall = cli(tree, db, "score", "--as-of", AS_OF, timed=True)
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    rss = int(found.group(1)) / 1024 if found else float("nan")
    (version,) = sql(db, "SELECT version_num FROM alembic_version")[0]
    tables = {name for (name,) in sql(db, "SELECT name FROM sqlite_master WHERE type='table'")}
    reports = sql(db, "SELECT count(*) FROM run_reports")[0][0] if "run_reports" in tables else 0
    output = " | ".join(ln for ln in proc.stdout.splitlines() if ln.strip())
    output += f" [schema {version}, {reports} run_reports rows]"
    return Run(side, wall, rss, output), db


def score_rounds(before: Path, after: Path, workdir: Path, rounds: int) -> tuple[list[Run], Path]:
    """Alternating fresh-process scoring runs; returns them and the last scored "after" store."""
    runs: list[Run] = []
    scored = after
    for rnd in range(1, rounds + 1):
        for side, template in (("before", before), ("after", after)):
            run, db = score_once(side, template, workdir)
            runs.append(run)
            if side == "after":
                scored = db
            else:
                remove_store(db)
            load = os.getloadavg()[0]
            print(f"round {rnd} {side:6s} {run.seconds:7.2f} s {run.maxrss_mb:7,.0f} MB "
                  f"(load {load:.2f}): {run.output}", flush=True)  # fmt: skip
    return runs, scored


# ------------------------------------------------------------------------------- reads
def time_calls(engine: Any, read: Callable[[Any], Any], calls: int) -> list[float]:
    """Milliseconds of `calls` reads, each in its own read_snapshot session."""
    from clv.store import read_snapshot

    def once() -> float:
        t0 = time.perf_counter()
        with read_snapshot(engine) as session:
            read(session)
        return (time.perf_counter() - t0) * 1000

    for _ in range(WARMUP):
        once()
    return [once() for _ in range(calls)]


def time_answers(engine: Any, settings: Any, calls: int) -> dict[str, list[float]]:
    from bot.slack.answers import answer
    from bot.slack.payloads import to_clv_request

    out: dict[str, list[float]] = {}
    for text in ("channels", "funnel", "cohorts", "nps"):
        request = to_clv_request(text)
        reply = answer(engine, settings, request)
        blocks = reply.get("blocks", [])
        texts = [b["text"].get("text", "") for b in blocks if isinstance(b.get("text"), dict)]
        first = texts[0] if texts else str(reply)[:80]
        print(f"  /clv {text}: {len(blocks)} blocks; {' '.join(first.split())[:90]!r}")
        for _ in range(WARMUP):
            answer(engine, settings, request)
        ms = []
        for _ in range(calls):
            t0 = time.perf_counter()
            answer(engine, settings, request)
            ms.append((time.perf_counter() - t0) * 1000)
        out[f"answer /clv {text}"] = ms
    return out


def read_latency(db: Path, calls: int) -> dict[str, list[float]]:
    from clv.insights.channels import channel_report, funnel_report
    from clv.insights.cohorts import cohort_report, nps_report
    from clv.settings import Settings
    from clv.store import make_engine

    settings = Settings(database_url=f"sqlite:///{db}")
    minimum = 30
    reads: dict[str, Callable[[Any], Any]] = {
        "channel_report": channel_report,
        "funnel_report": funnel_report,
        "cohort_report month": lambda s: cohort_report(s, period="month"),
        "cohort_report quarter": lambda s: cohort_report(s, period="quarter"),
        "nps_report segment": lambda s: nps_report(s, by="segment", min_responses=minimum),
        "nps_report tier": lambda s: nps_report(s, by="tier", min_responses=minimum),
        "nps_report channel": lambda s: nps_report(s, by="channel", min_responses=minimum),
    }
    engine = make_engine(settings.database_url)
    try:
        out = {name: time_calls(engine, read, calls) for name, read in reads.items()}
        out |= time_answers(engine, settings, calls)
    finally:
        engine.dispose()
    return out


def payload_sizes(db: Path) -> list[tuple[str, int]]:
    return sql(
        db,
        "SELECT name, length(CAST(payload AS BLOB)) FROM run_reports WHERE run_id = "
        "(SELECT max(run_id) FROM run_reports) ORDER BY name",
    )


# ---------------------------------------------------------------------- in-process runs
def inprocess_runs(template: Path, workdir: Path, rounds: int) -> dict[str, list[float]]:
    """Full in-process `score` runs, acquisition_reports timed in place / stubbed out."""
    import clv.scoring.pipeline as pipeline
    from clv.settings import Settings
    from clv.store import make_engine

    real_reports = pipeline.acquisition_reports
    got: dict[str, list[float]] = {"timed": [], "stubbed": [], "reports": []}

    def timed(into: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            out = func(*args, **kwargs)
            got[into].append(time.perf_counter() - t0)
            return out

        return wrapper

    for _ in range(rounds):
        for mode in ("timed", "stubbed"):
            db = copy_store(template, workdir / "acq_inprocess.db")
            settings = Settings(database_url=f"sqlite:///{db}")
            engine = make_engine(settings.database_url)
            stub = timed("reports", real_reports) if mode == "timed" else lambda *a, **k: {}
            pipeline.acquisition_reports = stub
            try:
                t0 = time.perf_counter()
                pipeline.score(engine, settings, as_of=date.fromisoformat(AS_OF))
                got[mode].append(time.perf_counter() - t0)
            finally:
                pipeline.acquisition_reports = real_reports
                engine.dispose()
                remove_store(db)
            print(f"in-process score, acquisition_reports {mode}: {got[mode][-1]:.2f} s"
                  + (f" (of which acquisition_reports {got['reports'][-1]:.2f} s)"
                     if mode == "timed" else ""),
                  flush=True)  # fmt: skip
    return got


# ------------------------------------------------------------------------------ report
def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def scoring_summary(runs: list[Run]) -> tuple[list[str], bool]:
    side = {s: [r for r in runs if r.side == s] for s in ("before", "after")}
    med = {s: statistics.median(r.seconds for r in rs) for s, rs in side.items()}
    low = {s: min(r.seconds for r in rs) for s, rs in side.items()}
    rss = {s: max(r.maxrss_mb for r in rs) for s, rs in side.items()}
    ratios = [a.seconds / b.seconds for b, a in zip(side["before"], side["after"], strict=True)]
    slowdown = med["after"] / med["before"] - 1
    by_min = low["after"] / low["before"] - 1
    paired = statistics.median(ratios) - 1
    ok = slowdown <= TARGET_SLOWDOWN

    def rounds(s: str) -> str:
        return ", ".join(f"{r.seconds:.2f}" for r in side[s])

    lines = [
        f"clvbot score, fresh process, {len(side['after'])} alternating rounds each:",
        f"  before ({BEFORE_COMMIT}): median {med['before']:.2f} s, min {low['before']:.2f} s, "
        f"peak RSS {rss['before']:,.0f} MB; rounds {rounds('before')}",
        f"  after (working tree): median {med['after']:.2f} s, min {low['after']:.2f} s, "
        f"peak RSS {rss['after']:,.0f} MB; rounds {rounds('after')}",
        f"  slowdown: {slowdown * 100:+.1f} % by medians, {by_min * 100:+.1f} % by minimums, "
        f"{paired * 100:+.1f} % median of paired rounds; "
        f"peak RSS {rss['after'] - rss['before']:+,.0f} MB",
        f"  target: no more than {TARGET_SLOWDOWN * 100:.0f} % slower (by medians) -> "
        f"{_verdict(ok)}",
    ]
    return lines, ok


def reads_summary(api: dict[str, list[float]]) -> tuple[list[str], bool]:
    lines = [f"read latency on the scored 'after' store ({len(next(iter(api.values())))} calls "
             f"each after {WARMUP} warm-up, own read_snapshot each):"]  # fmt: skip
    ok_all = True
    for name, ms in api.items():
        med, p95 = float(np.median(ms)), float(np.percentile(ms, 95))
        ok = med < TARGET_READ_MS
        ok_all &= ok
        lines.append(f"  {name:28s} median {med:7.2f} ms  p95 {p95:7.2f} ms  {_verdict(ok)}")
    lines.append(f"  target: every median < {TARGET_READ_MS:.0f} ms -> {_verdict(ok_all)}")
    return lines, ok_all


def inprocess_summary(got: dict[str, list[float]]) -> list[str]:
    if not got["timed"]:
        return []
    med = {k: statistics.median(v) for k, v in got.items() if v}
    share = med["reports"] / med["timed"] * 100
    return [
        f"extra (in-process clv.scoring.pipeline.score, {len(got['timed'])} round(s) each, "
        "medians):",
        f"  time in acquisition_reports: {med['reports']:.2f} s of a {med['timed']:.2f} s run "
        f"({share:.1f} %; the facts' column in the customers scan and the per-month log are "
        "outside it)",
        f"  run with acquisition_reports stubbed to {{}}: {med['stubbed']:.2f} s "
        f"(difference {med['timed'] - med['stubbed']:+.2f} s)",
    ]


def summary(runs: list[Run], api: dict[str, list[float]], sizes: list[tuple[str, int]],
            got: dict[str, list[float]], args: argparse.Namespace) -> None:  # fmt: skip
    head = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"],
                          capture_output=True, text=True, check=False).stdout.strip()  # fmt: skip
    print("\n" + "=" * 100)
    print(f"SUMMARY: {args.customers:,} customers, after = working tree at {head[:70]}")
    print(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    score_lines, score_ok = scoring_summary(runs)
    read_lines, read_ok = reads_summary(api)
    total = sum(size for _, size in sizes)
    size_line = ", ".join(f"{name} {size:,}" for name, size in sizes)
    for line in (*score_lines, *read_lines, f"stored payloads (bytes): {size_line}; "
                 f"total {total:,}", *inprocess_summary(got)):  # fmt: skip
        print(line)
    print(f"TARGETS: reads median < {TARGET_READ_MS:.0f} ms: {_verdict(read_ok)}; scoring "
          f"<= {TARGET_SLOWDOWN * 100:.0f} % slower: {_verdict(score_ok)}")  # fmt: skip


# -------------------------------------------------------------------------------- main
def make_worktree() -> None:
    if not BEFORE_TREE.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(BEFORE_TREE),
                        BEFORE_COMMIT], check=True, capture_output=True)  # fmt: skip
    for tree in (BEFORE_TREE, ROOT):  # byte-compiled up front, so no run pays for it
        dirs = [str(tree / p) for p in PACKAGES]
        subprocess.run([sys.executable, "-m", "compileall", "-q", *dirs], check=False)
        # warm the page cache with each side's imports, so the first timed run does not pay
        env = {**os.environ, "PYTHONPATH": str(tree)}
        warm = "import clv.scoring.pipeline, bot.cli.score"
        subprocess.run([sys.executable, "-c", warm], env=env, cwd=tree, check=True)


def cleanup(workdir: Path) -> None:
    for name in ("acq_before", "acq_after", "acq_score_before", "acq_score_after",
                 "acq_inprocess"):  # fmt: skip
        remove_store(workdir / f"{name}.db")
    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(BEFORE_TREE)],
                   check=False)  # fmt: skip
    subprocess.run(["git", "-C", str(ROOT), "worktree", "prune"], check=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--workdir", default="/tmp/clvbench")
    ap.add_argument("--rounds", type=int, default=5, help="fresh-process runs per side")
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--inprocess-rounds", type=int, default=2)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    workdir = Path(args.workdir)
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
    try:
        cached, _ = bench_score.ensure_data(args)
        make_worktree()
        before, after = prepare_stores(cached, workdir)
        runs, scored = score_rounds(before, after, workdir, args.rounds)
        sizes = payload_sizes(scored)
        api = read_latency(scored, args.calls)
        remove_store(scored)
        got = inprocess_runs(after, workdir, args.inprocess_rounds)
        summary(runs, api, sizes, got, args)
    finally:
        cleanup(workdir)


if __name__ == "__main__":
    main()
