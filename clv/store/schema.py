"""Schema versioning: apply the Alembic migrations, and refuse to work on an old schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).with_name("migrations")
UPGRADE_COMMAND = "clvbot db upgrade"


class SchemaNotCurrentError(RuntimeError):
    """The database has not been migrated to the schema this version of clvbot needs."""


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def head_revision(engine: Engine) -> str:
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head is not None, "no migrations found"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Migrate to the newest schema; returns (revision before, revision after)."""
    before = current_revision(engine)
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, head_revision(engine)


def require_current_schema(engine: Engine) -> None:
    """Raise `SchemaNotCurrentError`, naming the fix, unless the schema is the newest."""
    current, head = current_revision(engine), head_revision(engine)
    if current == head:
        return
    where = engine.url.render_as_string(hide_password=True)
    if current is None:
        raise SchemaNotCurrentError(
            f"the database {where} has no clvbot schema yet: run `{UPGRADE_COMMAND}` first"
        )
    raise SchemaNotCurrentError(
        f"the database {where} is at schema {current}, this clvbot needs {head}: "
        f"run `{UPGRADE_COMMAND}`"
    )
