"""What every command needs: settings, an engine on a current schema, and clean error exits."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from clv.ingest import ImportFileError, StrictImportError
from clv.insights import NoScoresError, UnknownCustomerError, UnknownGroupError
from clv.scoring.pipeline import ScoringError
from clv.settings import Settings, get_settings
from clv.store import SchemaNotCurrentError, make_engine, require_current_schema

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)

# Failures a user can fix: print the message, no traceback, exit 1.
USER_ERRORS = (
    ImportFileError,
    StrictImportError,
    SchemaNotCurrentError,
    ScoringError,
    NoScoresError,
    UnknownCustomerError,
    UnknownGroupError,
)


def load_settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        fail(f"invalid setting: {problems}")


def open_store(settings: Settings, *, migrated: bool = True) -> Engine:
    """An engine on the configured database; refuses an un-migrated schema unless told not to."""
    engine = make_engine(settings.database_url)
    if migrated:
        with user_errors():
            require_current_schema(engine)
    return engine


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    try:
        yield
    except USER_ERRORS as exc:
        fail(str(exc))
    except OperationalError as exc:
        fail(f"the database cannot be used: {exc.orig}")


def interactive() -> bool:
    return sys.stderr.isatty()
