"""The one Jinja2 environment: the project's `templates/`, strict about missing variables.

Templates ending in `.html.j2` are HTML-escaped; `.txt.j2` (email text) are not. Slack mrkdwn
templates escape their values themselves with the `mrkdwn` filter.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from clv.present.blocks import escape

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["mrkdwn"] = escape
    return env


def render(name: str, **context: Any) -> str:
    """Render the template `name` (a path under `templates/`)."""
    return environment().get_template(name).render(**context)
