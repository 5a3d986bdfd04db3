"""Schema versioning: apply the Alembic migrations, and refuse to work on an old schema.

Every command checks the schema before it starts; that check reads the `alembic_version`
row and compares it with `HEAD_REVISION` (a test keeps the constant equal to the newest
migration), so only `clvbot db upgrade` pays for loading Alembic and its scripts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, Index, inspect, text
from sqlalchemy.exc import OperationalError as DatabaseOperationalError
from sqlalchemy.exc import ProgrammingError
from sqlmodel import SQLModel

import clv.store.tables  # noqa: F401  (registers the tables in SQLModel.metadata)
from clv.errors import UserFacingError
from clv.store.engine import create_sqlite_file, sqlite_file

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
UPGRADE_COMMAND = "clvbot db upgrade"
HEAD_REVISION = "0014"  # the newest migration in migrations/versions


class SchemaNotCurrentError(UserFacingError, RuntimeError):
    """The database has not been migrated to the schema this version of clvbot needs."""


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def head_revision(engine: Engine) -> str:
    """The newest migration, as Alembic reads it from the scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head is not None, "no migrations found"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: no clvbot schema yet)."""
    with engine.connect() as connection:
        try:
            found = connection.execute(text("SELECT version_num FROM alembic_version")).first()
        except (ProgrammingError, DatabaseOperationalError) as exc:
            if "alembic_version" not in str(exc):  # any other failure is the caller's to see
                raise
            return None
    return None if found is None else str(found[0])


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Migrate to the newest schema, creating a new SQLite file if there is none (the only
    place that does); returns (revision before, revision after)."""
    create_sqlite_file(engine.url)
    before = current_revision(engine)
    from alembic import command

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, head_revision(engine)


def require_current_schema(engine: Engine) -> None:
    """Raise `SchemaNotCurrentError`, naming the fix, unless the schema is the newest."""
    path = sqlite_file(engine.url)
    if path is not None and not path.exists():
        raise SchemaNotCurrentError(
            f"the database file {path} does not exist: run `{UPGRADE_COMMAND}` to create it "
            "(or check DATABASE_URL)"
        )
    current, head = current_revision(engine), HEAD_REVISION
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


def missing_indexes(engine: Engine) -> list[Index]:
    """The models' indexes that the database does not have (lost to an older clvbot's failed
    import, or dropped by hand)."""
    inspector = inspect(engine)
    missing: list[Index] = []
    for table in SQLModel.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {index["name"] for index in inspector.get_indexes(table.name)}
        missing += [index for index in table.indexes if index.name not in present]
    return sorted(missing, key=lambda index: str(index.name))


def repair_indexes(engine: Engine) -> list[str]:
    """Build every missing index; returns their names."""
    missing = missing_indexes(engine)
    with engine.begin() as connection:
        for index in missing:
            index.create(connection)
    return [str(index.name) for index in missing]
