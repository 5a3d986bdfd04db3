"""Benchmark issue 15's prediction ranges and CLV_MODEL=auto: what they cost `clvbot score`.

    env -u PYTHONDONTWRITEBYTECODE .venv/bin/python bench/bench_ranges.py
    .venv/bin/python bench/bench_ranges.py --customers 20000 --rounds 2 --auto-rounds 1

1. Takes the 1M-customer / ~10M-order SQLite store of bench/bench_score.py (built and cached
   in --workdir when missing). A copy goes back to schema 0007 (migration 0008's downgrade,
   run by this tree's Alembic) for "before", the code at commit 7390984 (a git worktree in
   /tmp/clvbot-before-ranges, on PYTHONPATH); a copy of that is upgraded to 0008 by this
   tree's `clvbot db upgrade` for "after", the working tree.
2. Times `clvbot score --as-of 2024-12-31` in a fresh process (wall time, peak RSS from
   `/usr/bin/time -v`) on a fresh copy of the store, CLV_MODEL set in the environment and
   every other setting at its default: before with mbgnbd, after with mbgnbd (the cost of
   the ranges and the next-order / overdue columns on the same model) and after with auto
   (the new default). Rounds alternate: before, after, after auto, before ...
3. After each run prints what it stored: the newest `scoring_runs` row's model, customer
   equity and (after) the details' warnings, fit_steps, equity_range, comparison, holdout
   interval coverage; the customers with a CLV range and the overdue customers.
4. In this process, one `clv.scoring.pipeline.score` per model on the after store with
   timing shims on `choose_run_model` (as the pipeline calls it), `predict._ranges` and the
   functions under them, to say where the time goes.
5. Prints medians and the target with PASS/FAIL: after (mbgnbd) at most 25 % slower.

This is a benchmark, not a test: it exits 0 whatever the numbers. It removes its worktree
and its store copies at the end; bench_score's cached store stays in --workdir.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bench_acquisition as acq  # noqa: E402  (bench/ is not a package)
import bench_score  # noqa: E402

BEFORE_COMMIT = "7390984"
BEFORE_TREE = Path("/tmp/clvbot-before-ranges")
AFTER_TREE = Path("/tmp/clvbot-after-ranges")  # the working tree's packages, copied at start
BEFORE_SCHEMA = "0007"
AS_OF = bench_score.AS_OF
TARGET_SLOWDOWN = 0.25
STORES = ("ranges_before", "ranges_after", "ranges_score", "ranges_inprocess")
# (module, attribute) wrapped by the in-process timing shim, where the caller looks them up
SHIMS = (
    ("clv.scoring.pipeline", "build_summaries"),
    ("clv.scoring.pipeline", "choose_run_model"),
    ("clv.scoring.modelrun", "fit_purchase_model"),
    ("clv.scoring.modelrun", "holdout_check"),
    ("clv.scoring.holdout", "purchase_ranges"),
    ("clv.scoring.pipeline", "predict"),
    ("clv.scoring.predict", "_ranges"),
    ("clv.scoring.predict", "purchase_ranges"),
    ("clv.scoring.predict", "clv_ranges"),
    ("clv.scoring.predict", "equity_draws"),
    ("clv.scoring.pipeline", "cadence"),
    ("clv.scoring.pipeline", "acquisition_reports"),
    ("clv.scoring.pipeline", "_write"),
)


# ------------------------------------------------------------------------------ stores
def to_schema_0007(db: Path) -> str:
    """Migration 0008's downgrade on `db` (this tree's Alembic); returns the revision."""
    from alembic import command

    from clv.store import make_engine
    from clv.store.schema import alembic_config, current_revision

    engine = make_engine(f"sqlite:///{db}")
    try:
        if current_revision(engine) != BEFORE_SCHEMA:
            config = alembic_config(engine)
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                command.downgrade(config, BEFORE_SCHEMA)
        return str(current_revision(engine))
    finally:
        engine.dispose()


def prepare_stores(cached: Path, workdir: Path) -> tuple[Path, Path]:
    before = acq.copy_store(cached, workdir / "ranges_before.db")
    print(f"before store: schema {to_schema_0007(before)}", flush=True)
    proc, _ = acq.cli(BEFORE_TREE, before, "db", "upgrade")
    print(f"before store: old code's db upgrade: {proc.stdout.strip()}", flush=True)
    after = acq.copy_store(before, workdir / "ranges_after.db")
    proc, _ = acq.cli(AFTER_TREE, after, "db", "upgrade")
    print(f"after store: this tree's db upgrade: {proc.stdout.strip()}", flush=True)
    return before, after


def make_worktree() -> None:
    """bench_acquisition's worktree (byte-compiled, imports warmed) at BEFORE_COMMIT."""
    if BEFORE_TREE.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(BEFORE_TREE)], check=False)  # fmt: skip
    acq.make_worktree()
    head = subprocess.run(["git", "-C", str(BEFORE_TREE), "log", "-1", "--format=%h %s"],
                              capture_output=True, text=True, check=True).stdout  # fmt: skip
    print(f"before worktree {BEFORE_TREE}: {head.strip()[:90]}", flush=True)


def snapshot_after() -> None:
    """The working tree's packages as they are now, so that edits made while the benchmark
    runs do not reach it; on PYTHONPATH for the after runs and first on this sys.path."""
    shutil.rmtree(AFTER_TREE, ignore_errors=True)
    for package in acq.PACKAGES:
        shutil.copytree(ROOT / package, AFTER_TREE / package,
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(AFTER_TREE)], check=False)
    sys.path.insert(0, str(AFTER_TREE))
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "log", "-1", "--format=%h"], capture_output=True, text=True,
                          check=False).stdout.strip()  # fmt: skip
    diff = subprocess.run([*git, "diff", "--shortstat", "HEAD", "--", *acq.PACKAGES],
                          capture_output=True, text=True, check=False).stdout.strip()  # fmt: skip
    print(f"after tree {AFTER_TREE}: working tree at {head}, uncommitted: {diff or 'none'}",
          flush=True)  # fmt: skip


def cleanup(workdir: Path) -> None:
    for name in STORES:
        acq.remove_store(workdir / f"{name}.db")
    acq.cleanup(workdir)  # the worktree (acq.BEFORE_TREE is ours by now) and a prune
    shutil.rmtree(AFTER_TREE, ignore_errors=True)


# ------------------------------------------------------------------------------ stored
def newest_run(db: Path) -> tuple[int, str, str, float, dict[str, Any]]:
    run_id, status, model, equity, details = acq.sql(
        db,
        "SELECT id, status, model, customer_equity, details FROM scoring_runs "
        "ORDER BY id DESC LIMIT 1",
    )[0]
    return run_id, status, model, equity, json.loads(details)


def _dump(value: Any) -> str:
    return json.dumps(value, default=str, separators=(", ", ": "))


def stored_lines(db: Path, side: str) -> list[str]:
    """What the run stored, as plain lines."""
    run_id, status, model, equity, details = newest_run(db)
    tm = details.get("transactions_model", {})
    lines = [
        f"    run {run_id} {status}: model {model!r}, customer_equity {equity:,.2f}",
        f"    transactions_model: {tm.get('name')} fitted={tm.get('fitted')} "
        f"params={_dump(tm.get('params'))} log_likelihood={tm.get('log_likelihood')}",
        f"    warnings: {_dump(details.get('warnings'))}",
    ]
    if side == "before":
        return lines
    holdout = details.get("holdout") or {}
    lines += [
        f"    fit_steps: {_dump(details.get('fit_steps'))}",
        f"    equity_range: {_dump(details.get('equity_range'))}",
        f"    holdout.interval_coverage: {holdout.get('interval_coverage')}, "
        f"holdout.interval_expected: {holdout.get('interval_expected')}, "
        f"holdout.relative_error: {holdout.get('relative_error')}",
    ]
    for row in details.get("comparison") or []:
        lines.append(f"    comparison: {_dump(row)}")
    (scored, ranged, overdue), = acq.sql(
        db,
        "SELECT count(*), count(clv_low), coalesce(sum(overdue), 0) FROM customer_scores "
        "WHERE run_id = ?",
        run_id,
    )  # fmt: skip
    lines.append(f"    customer_scores: {scored:,} rows, {ranged:,} with clv_low, "
                 f"{overdue:,} overdue")  # fmt: skip
    return lines


# ----------------------------------------------------------------------------- scoring
@dataclass
class Run:
    label: str
    seconds: float
    maxrss_mb: float
    chosen: str


def score_once(label: str, template: Path, workdir: Path) -> Run:
    """`clvbot score` in a fresh process on a copy of `template`; prints what it stored."""
    side, model = label.split()
    db = acq.copy_store(template, workdir / "ranges_score.db")
    tree = BEFORE_TREE if side == "before" else AFTER_TREE
    os.environ["CLV_MODEL"] = model  # acq.cli passes this process's environment on
    try:
        proc, wall = acq.cli(tree, db, "score", "--as-of", AS_OF, timed=True)
    finally:
        os.environ.pop("CLV_MODEL", None)
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    rss = int(found.group(1)) / 1024 if found else float("nan")
    output = " | ".join(ln.strip() for ln in proc.stdout.splitlines() if ln.strip())
    print(f"  {label:13s} {wall:7.2f} s {rss:7,.0f} MB (load {os.getloadavg()[0]:.2f}): "
          f"{output}", flush=True)  # fmt: skip
    for line in stored_lines(db, side):
        print(line, flush=True)
    chosen = newest_run(db)[2]
    acq.remove_store(db)
    return Run(label, wall, rss, chosen)


def score_rounds(before: Path, after: Path, workdir: Path, args: argparse.Namespace) -> list[Run]:
    runs: list[Run] = []
    for rnd in range(1, max(args.rounds, args.auto_rounds) + 1):
        print(f"round {rnd}:", flush=True)
        plan = [("before mbgnbd", before), ("after mbgnbd", after)] if rnd <= args.rounds else []
        plan += [("after auto", after)] if rnd <= args.auto_rounds else []
        runs += [score_once(label, template, workdir) for label, template in plan]
    return runs


# ---------------------------------------------------------------------- in-process runs
def shimmed(got: dict[str, list[float]]) -> list[tuple[Any, str, Callable[..., Any]]]:
    """Wrap every SHIMS target with a timer recording into `got`; returns the originals."""
    originals = []
    for module_name, attr in SHIMS:
        module = importlib.import_module(module_name)
        real = getattr(module, attr)
        key = f"{module_name.removeprefix('clv.scoring.')}.{attr}"

        def wrapper(*a: Any, _real: Any = real, _key: str = key, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return _real(*a, **k)
            finally:
                got[_key].append(time.perf_counter() - t0)

        setattr(module, attr, wrapper)
        originals.append((module, attr, real))
    return originals


def inprocess_run(template: Path, workdir: Path, model: str) -> None:
    """One in-process `score` with the shims; prints the time in each wrapped function."""
    import clv.scoring.pipeline as pipeline
    from clv.settings import Settings
    from clv.store import make_engine

    db = acq.copy_store(template, workdir / "ranges_inprocess.db")
    settings = Settings(database_url=f"sqlite:///{db}", clv_model=model)
    engine = make_engine(settings.database_url)
    got: dict[str, list[float]] = defaultdict(list)
    originals = shimmed(got)
    try:
        t0 = time.perf_counter()
        pipeline.score(engine, settings, as_of=date.fromisoformat(AS_OF))
        total = time.perf_counter() - t0
    finally:
        for module, attr, real in originals:
            setattr(module, attr, real)
        engine.dispose()
    chosen = newest_run(db)[2]
    acq.remove_store(db)
    where = Path(pipeline.__file__).parent.parent.parent
    print(f"in-process score ({where}), CLV_MODEL={model} (chose {chosen}): {total:.2f} s",
          flush=True)  # fmt: skip
    for module_name, attr in SHIMS:
        key = f"{module_name.removeprefix('clv.scoring.')}.{attr}"
        calls = got.get(key, [])
        spent = sum(calls)
        print(
            f"  {key:32s} {len(calls):2d} call(s) {spent:7.2f} s ({spent / total * 100:5.1f} %)"
            + ("" if len(calls) < 2 else f"  each: {', '.join(f'{s:.2f}' for s in calls)}")
        )
    print(flush=True)


# ------------------------------------------------------------------------------ report
def summary(runs: list[Run], args: argparse.Namespace) -> None:
    by_label: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        by_label[run.label].append(run)
    med = {k: statistics.median(r.seconds for r in v) for k, v in by_label.items()}
    rss = {k: statistics.median(r.maxrss_mb for r in v) for k, v in by_label.items()}
    base = "before mbgnbd"
    print("\n" + "=" * 100)
    print(f"SUMMARY: {args.customers:,} customers, clvbot score --as-of {AS_OF}, fresh "
          f"processes; before = {BEFORE_COMMIT}, after = working tree")  # fmt: skip
    print(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    for label, rs in by_label.items():
        ratio = med[label] / med[base] if base in med else float("nan")
        rss_ratio = rss[label] / rss[base] if base in rss else float("nan")
        chosen = sorted({r.chosen for r in rs})
        print(f"  {label:13s} {len(rs)} round(s): median {med[label]:7.2f} s "
              f"(rounds {', '.join(f'{r.seconds:.2f}' for r in rs)}), median peak RSS "
              f"{rss[label]:7,.0f} MB; x{ratio:.3f} time, x{rss_ratio:.3f} RSS vs before; "
              f"model stored: {', '.join(chosen)}")  # fmt: skip
    if base in med and "after mbgnbd" in med:
        slowdown = med["after mbgnbd"] / med[base] - 1
        verdict = "PASS" if slowdown <= TARGET_SLOWDOWN else "FAIL"
        print(f"TARGET: after (mbgnbd) at most {TARGET_SLOWDOWN * 100:.0f} % slower than before "
              f"(mbgnbd), by medians: {slowdown * 100:+.1f} % -> {verdict}")  # fmt: skip


# -------------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--workdir", default="/tmp/clvbench")
    ap.add_argument("--rounds", type=int, default=3, help="before/after mbgnbd runs per side")
    ap.add_argument("--auto-rounds", type=int, default=2, help="after CLV_MODEL=auto runs")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.pop("CLV_MODEL", None)
    acq.BEFORE_COMMIT, acq.BEFORE_TREE = BEFORE_COMMIT, BEFORE_TREE  # its helpers read these
    workdir = Path(args.workdir)
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
    try:
        snapshot_after()
        cached, _ = bench_score.ensure_data(args)
        make_worktree()
        before, after = prepare_stores(cached, workdir)
        runs = score_rounds(before, after, workdir, args)
        for model in ("mbgnbd", "auto"):
            inprocess_run(after, workdir, model)
        summary(runs, args)
    finally:
        cleanup(workdir)


if __name__ == "__main__":
    main()
