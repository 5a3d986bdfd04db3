"""`clvbot db`: schema migrations, and a check that the schema is whole."""

from __future__ import annotations

import typer

from bot.cli.context import fail, load_settings, open_store, out, user_errors
from bot.cli.lazy import FlagCommand, FlagGroup
from clv.store import missing_indexes, repair_indexes, require_current_schema
from clv.store import upgrade as upgrade_schema

app = typer.Typer(help="Manage the database schema.", no_args_is_help=True, cls=FlagGroup)


@app.command(cls=FlagCommand)
def upgrade() -> None:
    """Apply the database migrations (creates the schema on a new database) and rebuild any
    missing index."""
    engine = open_store(load_settings(), migrated=False)
    with user_errors():
        before, after = upgrade_schema(engine)
        rebuilt = repair_indexes(engine)
    if before == after:
        out.print(f"schema is current ({after})")
    else:
        out.print(f"schema upgraded: {before or 'empty'} -> {after}")
    for name in rebuilt:
        out.print(f"rebuilt missing index {name}")


@app.command(cls=FlagCommand)
def check() -> None:
    """Check that the schema is current and every index is in place (exit 1 if not)."""
    engine = open_store(load_settings(), migrated=False)
    with user_errors():
        require_current_schema(engine)
        missing = [str(index.name) for index in missing_indexes(engine)]
    if missing:
        fail(f"missing index(es) {', '.join(missing)}: run `clvbot db upgrade` to rebuild them")
    out.print("schema is current and every index is in place")
