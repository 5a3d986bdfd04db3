"""customer_scores: the ranges of predicted CLV and of purchases over the horizon, the
expected purchases over the horizon, the usual time between orders, the expected date of the
next order and whether the customer is overdue (with an index for the overdue list)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("clv_low", sa.Float()),
    ("clv_high", sa.Float()),
    ("expected_purchases_horizon", sa.Float()),
    ("purchases_low", sa.Integer()),
    ("purchases_high", sa.Integer()),
    ("order_gap_days", sa.Float()),
    ("next_order_on", sa.Date()),
)


def upgrade() -> None:
    with op.batch_alter_table("customer_scores") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
        batch.add_column(
            sa.Column("overdue", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index(
        "ix_customer_scores_run_overdue",
        "customer_scores",
        ["run_id", "overdue", "value_at_stake"],
    )


def downgrade() -> None:
    op.drop_index("ix_customer_scores_run_overdue", table_name="customer_scores")
    with op.batch_alter_table("customer_scores") as batch:
        batch.drop_column("overdue")
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
