"""What every command needs: settings, an engine on a current schema, and clean error exits.

Imports stay light here (no settings, store or scoring modules at import time), so that
`clvbot --help` and a command's own `--help` load only typer and rich.
"""

from __future__ import annotations

import json
import re
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console

from clv.errors import UserFacingError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from clv.settings import Settings

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def load_settings() -> Settings:
    from pydantic import ValidationError

    from clv.settings import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        fail(f"invalid setting: {problems}")


def open_store(settings: Settings, *, migrated: bool = True) -> Engine:
    """An engine on the configured database; refuses an un-migrated schema unless told not to."""
    from clv.store import make_engine, require_current_schema

    engine = make_engine(settings.database_url)
    if migrated:
        with user_errors():
            require_current_schema(engine)
    return engine


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


def _is_operational_error(exc: Exception) -> bool:
    """A database that cannot be used (SQLAlchemy's OperationalError), if SQLAlchemy is loaded:
    no exception can be one before it is, so asking never imports it."""
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, errors.OperationalError)


@contextmanager
def user_errors() -> Iterator[None]:
    """Failures a user can fix (`clv.errors.UserFacingError`): the message, no traceback, exit 1."""
    try:
        yield
    except UserFacingError as exc:
        fail(str(exc))
    except Exception as exc:
        if _is_operational_error(exc):
            fail(f"the database cannot be used: {getattr(exc, 'orig', exc)}")
        raise


def to_json(data: Any) -> str:
    """`data` as indented JSON; a `Decimal` (a stored amount in major units) is written as the
    exact number it is, not rounded through a float; dates and the like as their text."""
    marker = secrets.token_hex(8)  # unguessable: no data value can pose as a number

    def encode(value: object) -> str:
        return f"{marker}{value}" if isinstance(value, Decimal) else str(value)

    text = json.dumps(data, indent=2, ensure_ascii=False, default=encode)
    return re.sub(f'"{marker}([-+0-9.E]+)"', r"\1", text)


def print_json(data: Any) -> None:
    """`--json` output. Printed as text: rich's `print_json` would re-parse the numbers."""
    out.print(to_json(data), markup=False, highlight=False, soft_wrap=True)


def interactive() -> bool:
    return sys.stderr.isatty()
