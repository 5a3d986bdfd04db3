"""The layers: `clv` imports neither `bot` nor `reports`; `reports` does not import `bot`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"clv": {"bot", "reports"}, "reports": {"bot"}}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layers_do_not_import_upwards(package: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {sorted(found)}"
        for path in sorted((ROOT / package).rglob("*.py"))
        if (found := _imported_packages(path) & FORBIDDEN[package])
    ]
    assert offenders == []
