"""run_reports: the acquisition reports (channels, funnel, cohorts, NPS) a scoring run wrote;
an index on customers.channel (the reports read the distinct channels off it)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "run_reports",
        sa.Column(
            "run_id",
            sa.Integer(),
            sa.ForeignKey("scoring_runs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(length=32), primary_key=True),
        sa.Column("payload", sa.JSON(), nullable=False),
    )
    op.create_index("ix_customers_channel", "customers", ["channel"])


def downgrade() -> None:
    op.drop_index("ix_customers_channel", table_name="customers")
    op.drop_table("run_reports")
