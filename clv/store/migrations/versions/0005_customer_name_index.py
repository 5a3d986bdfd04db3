"""an index on customers.name, for "did you mean" suggestions by name

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_customers_name", "customers", ["name"])


def downgrade() -> None:
    op.drop_index("ix_customers_name", table_name="customers")
