"""customer_scores without its foreign key to customers: PostgreSQL checked it for every row
when a run attached its partition (1M customers: ATTACH PARTITION 0.72 s with it, 0.12 s
without), SQLite for every row the run copied in. A run writes the scores of exactly the
customers it read from `customers` (in one snapshot on PostgreSQL), and no command deletes
customers, so the key guarded nothing the writes do not already guarantee (as migration 0013
found for customer_weekly). The key to scoring_runs stays.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "customer_scores"
KEY = f"{NAME}_customer_id_fkey"  # PostgreSQL's name for it; on SQLite it has none
# SQLite's keys have no names: batch mode names the reflected ones by this convention
# (https://alembic.sqlalchemy.org/en/latest/batch.html, "Dropping Unnamed or Named Foreign
# Key Constraints"), and the table is made again without the one dropped
CONVENTION = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
SQLITE_KEY = f"fk_{NAME}_customer_id_customers"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # the partitions' copies go with it
        op.execute(f"ALTER TABLE {NAME} DROP CONSTRAINT IF EXISTS {KEY}")
        return
    with op.batch_alter_table(NAME, naming_convention=CONVENTION, recreate="always") as batch:
        batch.drop_constraint(SQLITE_KEY, type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"ALTER TABLE {NAME} ADD CONSTRAINT {KEY} FOREIGN KEY (customer_id) "
            "REFERENCES customers (id) ON DELETE CASCADE"
        )
        return
    with op.batch_alter_table(NAME, recreate="always") as batch:
        batch.create_foreign_key(
            SQLITE_KEY, "customers", ["customer_id"], ["id"], ondelete="CASCADE"
        )
