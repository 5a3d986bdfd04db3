"""The CLI loads a command's modules only when that command runs, and its help says what the
parser accepts (issue 12, defect 12). Timing is measured by bench/bench_startup.py, not here."""

from __future__ import annotations

import importlib
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.cli import app
from bot.cli.app import COMMANDS
from clv.datasets import write_cdnow_orders_csv

HEAVY = ("sqlalchemy", "sqlmodel", "scipy", "numpy", "matplotlib", "slack_bolt", "slack_sdk",
         "alembic", "apscheduler", "jinja2", "pydantic_settings")  # fmt: skip


def _loaded_after(argv: list[str], env: dict[str, str] | None = None) -> set[str]:
    probe = (
        "import sys\nfrom bot.cli import main\n"
        f"sys.argv = ['clvbot', *{argv!r}]\n"
        "code = 0\ntry:\n    main()\nexcept SystemExit as exc:\n    code = exc.code or 0\n"
        "print('exit', code, *sorted({m.split('.')[0] for m in sys.modules}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, env={**os.environ, **(env or {})})  # fmt: skip
    exit_word, code, *modules = done.stdout.splitlines()[-1].split()
    assert (exit_word, code) == ("exit", "0"), done.stdout
    return set(modules)


def test_the_top_level_help_imports_no_store_model_or_slack_code() -> None:
    assert _loaded_after(["--help"]) & set(HEAVY) == set()


def test_reading_a_customer_loads_the_store_but_no_models_slack_or_charts(
    env_settings: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    assert (
        runner.invoke(
            app, ["import", "orders", str(write_cdnow_orders_csv(tmp_path / "c.csv"))]
        ).exit_code
        == 0
    )
    assert runner.invoke(app, ["score", "--as-of", "1997-09-30", "--model", "bgnbd"]).exit_code == 0
    loaded = _loaded_after(["customer", "1"], {"DATABASE_URL": env_settings, "TIMEZONE": "UTC"})
    assert "sqlalchemy" in loaded  # it did read the store
    assert {
        "scipy",
        "numpy",
        "matplotlib",
        "slack_bolt",
        "slack_sdk",
        "apscheduler",
        "jinja2",
    } & loaded == set()


@pytest.mark.parametrize("entry", COMMANDS, ids=lambda e: e.name)
def test_the_listed_help_is_the_commands_own(entry: object) -> None:
    module = importlib.import_module(f"bot.cli.{entry.module}")  # type: ignore[attr-defined]
    target = getattr(module, entry.attribute)  # type: ignore[attr-defined]
    if isinstance(target, typer.Typer):
        own = target.info.help
    else:
        own = inspect.getdoc(target).split("\n\n")[0].replace("\n", " ")
    assert entry.short_help == own  # type: ignore[attr-defined]


def test_a_flag_is_shown_without_a_value_and_refuses_one() -> None:
    runner = CliRunner()
    shown = runner.invoke(app, ["customer", "--help"], env={"COLUMNS": "120"})
    assert "--json" in shown.output
    assert "<bool>" not in shown.output
    refused = runner.invoke(app, ["customer", "1", "--json=false"], env={"COLUMNS": "120"})
    assert refused.exit_code == 2
    assert "does not take a value" in refused.output


def test_a_mistyped_command_gets_a_suggestion() -> None:
    result = CliRunner().invoke(app, ["custmer", "1"], env={"COLUMNS": "120"})
    assert result.exit_code == 2
    assert "Did you mean 'customer'?" in result.output
