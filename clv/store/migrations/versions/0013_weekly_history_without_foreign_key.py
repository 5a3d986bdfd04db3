"""customer_weekly without its foreign key to customers: checked row by row, it cost a
PostgreSQL scoring run half of its weekly-history stage (a million rows: 16.3 s, 7.6 s
without the checks). The history's rows are written only by scoring runs, from the run's
own customer scores (whose customer ids the scores' key already checks), and no command
deletes customers, so the key guarded nothing the writes do not already guarantee

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "customer_weekly"


def _history(*constraints: sa.Constraint) -> sa.Table:
    """customer_weekly as SQLite's batch mode makes it again (with `constraints`)."""
    return sa.Table(
        NAME,
        sa.MetaData(),
        sa.Column("week_end", sa.Date(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("predicted_clv", sa.Float(), nullable=False),
        sa.Column("segment", sa.String(length=32), nullable=False),
        sa.Column("dormant", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("week_end", "customer_id"),
        sa.Index("ix_customer_weekly_customer", "customer_id", "week_end"),
        *constraints,
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {NAME} DROP CONSTRAINT IF EXISTS {NAME}_customer_id_fkey")
        return
    # SQLite cannot drop a constraint: the table is made again without it
    with op.batch_alter_table(NAME, copy_from=_history(), recreate="always"):
        pass


def downgrade() -> None:
    key = sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"ALTER TABLE {NAME} ADD CONSTRAINT {NAME}_customer_id_fkey FOREIGN KEY "
            "(customer_id) REFERENCES customers (id) ON DELETE CASCADE"
        )
        return
    with op.batch_alter_table(NAME, copy_from=_history(key), recreate="always"):
        pass
