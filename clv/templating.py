"""The one Jinja2 environment: the project's `templates/`, strict about missing variables.

The repository's top-level `templates/` folder is the package `clv.templates` (mapped in
pyproject.toml), so the templates are found through the import system: in the repository, in
an editable install and in an installed wheel alike, never by a path relative to this file.

Templates ending in `.html.j2` are HTML-escaped; `.txt.j2` (email text) are not. Slack mrkdwn
templates escape their values themselves with the `mrkdwn` filter.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from clv.present.blocks import escape

TEMPLATES_PACKAGE = "clv.templates"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader(TEMPLATES_PACKAGE, "."),
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
