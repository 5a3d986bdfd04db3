"""scoring runs, customer scores and weekly history

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clv.store.types import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _create_scoring_runs()
    _create_customer_scores()
    _create_customer_weekly()
    _create_run_group_stats()
    _reindex_orders()


def _create_scoring_runs() -> None:
    """The table of scoring runs and its index on (status, as_of)."""
    op.create_table(
        "scoring_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("week_end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("model", sa.String(length=16), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.Column("n_customers", sa.Integer(), nullable=False),
        sa.Column("n_buyers", sa.Integer(), nullable=False),
        sa.Column("n_active", sa.Integer(), nullable=False),
        sa.Column("n_dormant", sa.Integer(), nullable=False),
        sa.Column("customer_equity", sa.Float(), nullable=False),
        sa.Column("mean_clv", sa.Float(), nullable=False),
        sa.Column("revenue_week_minor", sa.BigInteger(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("scoring_runs", schema=None) as batch_op:
        batch_op.create_index("ix_scoring_runs_status_as_of", ["status", "as_of"], unique=False)


def _create_customer_scores() -> None:
    """Each run's score of each customer, and the indexes the reads use."""
    op.create_table(
        "customer_scores",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("refunds", sa.Integer(), nullable=False),
        sa.Column("historical_value_minor", sa.BigInteger(), nullable=False),
        sa.Column("aov", sa.Float(), nullable=True),
        sa.Column("first_order", sa.Date(), nullable=True),
        sa.Column("last_order", sa.Date(), nullable=True),
        sa.Column("days_since_last", sa.Integer(), nullable=True),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column("recency", sa.Float(), nullable=False),
        sa.Column("tenure", sa.Float(), nullable=False),
        sa.Column("monetary", sa.Float(), nullable=False),
        sa.Column("predicted_clv", sa.Float(), nullable=False),
        sa.Column("formula_clv", sa.Float(), nullable=False),
        sa.Column("p_alive", sa.Float(), nullable=True),
        sa.Column("expected_purchases_90d", sa.Float(), nullable=False),
        sa.Column("expected_spend", sa.Float(), nullable=False),
        sa.Column("clv_cac", sa.Float(), nullable=True),
        sa.Column("r_score", sa.SmallInteger(), nullable=False),
        sa.Column("f_score", sa.SmallInteger(), nullable=False),
        sa.Column("m_score", sa.SmallInteger(), nullable=False),
        sa.Column("segment", sa.String(length=32), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("dormant", sa.Boolean(), nullable=False),
        sa.Column("dormant_reason", sa.String(length=200), nullable=True),
        sa.Column("value_at_stake", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["scoring_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "customer_id"),
    )
    with op.batch_alter_table("customer_scores", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_scores_run_segment", ["run_id", "segment", "predicted_clv"], unique=False
        )
        batch_op.create_index(
            "ix_customer_scores_run_stake", ["run_id", "dormant", "value_at_stake"], unique=False
        )
        batch_op.create_index(
            "ix_customer_scores_run_value", ["run_id", "predicted_clv"], unique=False
        )


def _create_customer_weekly() -> None:
    """Each customer's weekly CLV and segment, indexed by customer."""
    op.create_table(
        "customer_weekly",
        sa.Column("week_end", sa.Date(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("predicted_clv", sa.Float(), nullable=False),
        sa.Column("segment", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("week_end", "customer_id"),
    )
    op.create_index("ix_customer_weekly_customer", "customer_weekly", ["customer_id", "week_end"])


def _create_run_group_stats() -> None:
    """Each run's customers and CLV per group (segment, tier, ...)."""
    op.create_table(
        "run_group_stats",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("clv_sum", sa.Float(), nullable=False),
        sa.Column("clv_median", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["scoring_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "dimension", "name"),
    )


def _reindex_orders() -> None:
    """The orders' (customer, day) index gives way to one that also covers the amount, and
    one on the day."""
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_customer_day"))
        batch_op.create_index(
            "ix_orders_customer_day_amount",
            ["customer_id", "ordered_on", "amount_minor"],
            unique=False,
        )
        batch_op.create_index("ix_orders_ordered_on", ["ordered_on"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_ordered_on")
        batch_op.drop_index("ix_orders_customer_day_amount")
        batch_op.create_index(
            batch_op.f("ix_orders_customer_day"), ["customer_id", "ordered_on"], unique=False
        )

    op.drop_table("run_group_stats")
    op.drop_index("ix_customer_weekly_customer", table_name="customer_weekly")
    op.drop_table("customer_weekly")
    with op.batch_alter_table("customer_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_scores_run_value")
        batch_op.drop_index("ix_customer_scores_run_stake")
        batch_op.drop_index("ix_customer_scores_run_segment")

    op.drop_table("customer_scores")
    with op.batch_alter_table("scoring_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_scoring_runs_status_as_of")

    op.drop_table("scoring_runs")
