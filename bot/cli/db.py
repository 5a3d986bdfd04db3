"""`clvbot db`: schema migrations."""

from __future__ import annotations

import typer

from bot.cli.context import load_settings, open_store, out, user_errors
from clv.store import upgrade as upgrade_schema

app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Apply the database migrations (creates the schema on a new database)."""
    engine = open_store(load_settings(), migrated=False)
    with user_errors():
        before, after = upgrade_schema(engine)
    if before == after:
        out.print(f"schema is current ({after})")
    else:
        out.print(f"schema upgraded: {before or 'empty'} -> {after}")
