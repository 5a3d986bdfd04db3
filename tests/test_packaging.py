"""The wheel, installed where the repository cannot be seen: does clvbot still work?

The wheel is built from a copy of the working tree and installed without dependencies into a
fresh virtual environment outside the repository. That environment sees the dependencies
already installed in the test interpreter's environment, through a `.pth` line naming a folder
of links to them (a folder named by a `.pth` line does not get its own `.pth` files processed,
so the repository's editable-install finder never loads). The demo extra (aiosmtpd) and the
repository's own install are left out of that folder: this is a production install.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE_IGNORED = shutil.ignore_patterns(
    ".git", ".venv", ".venv-*", "build", "dist", "*.egg-info", "__pycache__", ".*_cache",
    ".hypothesis", "*.db", "*.db-*", "*.lock", "out",
)  # fmt: skip
DEMO_ONLY = ("aiosmtpd",)  # distributions only `clvbot[demo]` installs


@dataclass(frozen=True)
class Installed:
    venv: Path
    outside: Path  # a working directory outside the repository
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, cwd=self.outside, env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def python(self, code: str) -> subprocess.CompletedProcess[str]:
        return self.run(str(self.venv / "bin" / "python"), "-c", code)


def build_wheel(work: Path) -> Path:
    """The wheel of the working tree (a copy: nothing is built inside the repository), built
    with the setuptools the dev extra installs (an isolated build would fetch it each time)."""
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=SOURCE_IGNORED, symlinks=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
         "--wheel-dir", str(work / "dist"), str(source)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    [wheel] = (work / "dist").glob("clvbot-*.whl")
    return wheel


def link_dependencies(target: Path) -> Path:
    """A folder of links to this environment's installed distributions, less the demo extra
    and the repository's own (editable) install."""
    site = Path(sysconfig.get_paths()["purelib"])
    target.mkdir()
    skipped = ("clvbot", "__editable__", "_virtualenv", *DEMO_ONLY)
    for entry in site.iterdir():
        if entry.name.lower().startswith(skipped) or entry.suffix == ".pth":
            continue
        (target / entry.name).symlink_to(entry)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    work = tmp_path_factory.mktemp("packaging")
    wheel = build_wheel(work)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    deps = link_dependencies(work / "deps")
    (Path(purelib) / "clvbot-test-deps.pth").write_text(f"{deps}\n")
    outside = work / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env = {k: v for k, v in env.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    return Installed(venv, outside, {**env, "TIMEZONE": "UTC", "HOME": str(outside)})


def test_the_installed_wheel_imports_from_itself_not_the_repository(installed: Installed) -> None:
    probe = installed.python(
        "import sys, importlib.resources as r, clv, bot, reports\n"
        "print(clv.__file__, bot.__file__, reports.__file__)\n"
        "print(r.files('clv.templates'))\n"
        "print([m for m in sys.modules if 'editable' in m])\n"
    )
    assert probe.returncode == 0, probe.stderr
    modules, templates, editable = probe.stdout.splitlines()
    venv = str(installed.venv)
    assert all(path.startswith(venv) for path in modules.split()), modules
    assert str(ROOT) not in probe.stdout
    assert templates.startswith(venv)
    assert editable == "[]"


def test_the_installed_wheel_runs_the_walkthrough_outside_the_repository(
    installed: Installed,
) -> None:
    result = installed.run(str(installed.venv / "bin" / "clvbot"), "walkthrough")

    assert result.returncode == 0, result.stderr
    assert "8. the weekly digest, `clvbot digest --preview`" in result.stdout
    digest = result.stdout.partition("8. the weekly digest")[2]
    assert re.search(r"week ending \w{3} \d{2} \w{3} 1998\n", digest), digest  # CDNOW's last
    assert "Customer equity $" in digest
    assert (installed.outside / "clvbot-walkthrough.db").exists()


def test_a_production_install_does_not_import_the_sandbox_or_aiosmtpd(
    installed: Installed,
) -> None:
    probe = installed.python(
        "import sys\n"
        "from bot.cli import app\n"
        "from typer.testing import CliRunner\n"
        "for args in (['--help'], ['serve', '--help'], ['demo', '--help']):\n"
        "    assert CliRunner().invoke(app, args).exit_code == 0, args\n"
        "import bot.cli.serve, bot.slack.server\n"
        "print(sorted(m for m in sys.modules if m.startswith(('bot.sandbox', 'aiosmtpd'))))\n"
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "[]"


def test_demo_without_the_demo_extra_names_the_fix(installed: Installed) -> None:
    result = installed.run(str(installed.venv / "bin" / "clvbot"), "demo", "--port", "0")

    assert result.returncode == 1
    assert "pip install 'clvbot[demo]'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (installed.outside / "clvbot-demo.db").exists()


def test_aiosmtpd_is_a_dependency_of_the_demo_extra_only() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert not [d for d in project["dependencies"] if d.startswith(DEMO_ONLY)]
    assert [d for d in extras["demo"] if d.startswith(DEMO_ONLY)]
    assert "clvbot[demo]" in extras["dev"]  # `make test` and `make demo` install dev


def test_the_configured_packages_are_the_packages_in_the_tree() -> None:
    """pyproject.toml lists the packages (setuptools' `find` cannot map `templates/` to
    `clv.templates`): a package added to the tree must be added to that list too."""
    from setuptools import find_namespace_packages

    configured = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    code = find_namespace_packages(ROOT, include=["clv*", "bot*", "reports*"])
    templates = find_namespace_packages(ROOT / "templates", exclude=["*__pycache__*"])
    in_tree = {*code, "clv.templates", *(f"clv.templates.{name}" for name in templates)}
    assert sorted(configured["packages"]) == sorted(in_tree)
    assert configured["package-dir"] == {"clv.templates": "templates"}
