"""Wall-clock start-up of the CLI: `clvbot --help` and `clvbot customer <id>` on a demo store.

    .venv/bin/python bench/bench_startup.py                    # this checkout
    .venv/bin/python bench/bench_startup.py --before d868a82   # ... alternating with a commit

Targets (issue 12): `clvbot --help` < 0.5 s, `clvbot customer X` < 1 s on the demo store.
Each figure is a fresh interpreter, as a person at a shell runs it: `python -c "from bot.cli
import main; main()" ...` with bytecode caches warm (one untimed run first) and
PYTHONDONTWRITEBYTECODE unset. With `--before`, the commit is checked out into a temporary
git worktree and run from there (PYTHONPATH first on sys.path, ahead of the editable install),
alternating with this checkout run for run (BENCHMARKING.md: shared machines are noisy);
its store copy is stamped with the schema revision that commit expects. Prints a markdown table
of the median and the fastest of `--runs` runs, and a floor: the imports any command that
reads the store needs (SQLAlchemy, SQLModel and the tables, pydantic-settings, typer, rich),
in a bare interpreter, with nothing of clvbot's own work.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ENTRY = "from bot.cli import main; main()"


def build_store(directory: Path, customers: int) -> tuple[Path, str]:
    """The demo shop as `clvbot demo` builds it (real importers), scored as of today."""
    from clv.datasets import generate_shop, write_shop_csvs
    from clv.ingest import import_customers, import_orders
    from clv.scoring.pipeline import score
    from clv.settings import Settings
    from clv.store import make_engine, upgrade

    database = directory / "demo.db"
    settings = Settings(database_url=f"sqlite:///{database}", _env_file=None)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    now = datetime.now(settings.tzinfo).replace(tzinfo=None)
    customers_csv, orders_csv = write_shop_csvs(generate_shop(customers, now=now), directory)
    import_customers(engine, customers_csv, settings)
    import_orders(engine, orders_csv, settings)
    score(engine, settings, as_of=now.date(), backfill=12)
    engine.dispose()
    with sqlite3.connect(database) as db:
        (key,) = db.execute("SELECT external_id FROM customers ORDER BY id LIMIT 1").fetchone()
    return database, str(key)


def stamped_copy(database: Path, checkout: Path) -> Path:
    """A copy of the store marked with the newest migration `checkout` ships."""
    versions = sorted(p.name.split("_")[0] for p in
                      (checkout / "clv/store/migrations/versions").glob("[0-9]*_*.py"))  # fmt: skip
    copy = database.with_name(f"demo-{checkout.name}.db")
    shutil.copyfile(database, copy)
    with sqlite3.connect(copy) as db:
        db.execute("UPDATE alembic_version SET version_num = ?", (versions[-1],))
    return copy


FLOOR = "import sqlmodel, typer, pydantic_settings, rich.table, clv.store.tables"


def run_once(checkout: Path | None, database: Path, argv: list[str]) -> float:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["DATABASE_URL"] = f"sqlite:///{database}"
    if checkout is not None:
        env["PYTHONPATH"] = str(checkout)
    code = FLOOR if argv == ["floor"] else ENTRY
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *argv], env=env, cwd=database.parent,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({checkout or 'this checkout'}):\n{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", help="a commit to compare with, run alternately")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--customers", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database, key = build_store(Path(tmp), args.customers)
        sides: dict[str, tuple[Path | None, Path]] = {"now": (None, database)}
        if args.before:
            worktree = Path(tmp) / f"before-{args.before}"
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q",
                            str(worktree), args.before], check=True)  # fmt: skip
            sides[args.before] = (worktree, stamped_copy(database, worktree))
        try:
            _report(sides, key, args.runs)
        finally:
            if args.before:
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force",
                                str(worktree)], check=True)  # fmt: skip


def _report(sides: dict[str, tuple[Path | None, Path]], key: str, runs: int) -> None:
    commands = {"clvbot --help": ["--help"], f"clvbot customer {key}": ["customer", key],
                f"floor: python -c '{FLOOR}'": ["floor"]}  # fmt: skip
    print("| command | checkout | median s | fastest s | runs |\n|---|---|---|---|---|")
    for label, argv in commands.items():
        times: dict[str, list[float]] = {side: [] for side in sides}
        for checkout, database in sides.values():  # warm the bytecode caches
            run_once(checkout, database, argv)
        for _ in range(runs):
            for side, (checkout, database) in sides.items():
                times[side].append(run_once(checkout, database, argv))
        for side, measured in times.items():
            print(f"| `{label}` | {side} | {statistics.median(measured):.2f} | "
                  f"{min(measured):.2f} | {runs} |")  # fmt: skip


if __name__ == "__main__":
    main()
