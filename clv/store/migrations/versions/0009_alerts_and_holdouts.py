"""the outreach experiment's assignments (contact or hold out, per customer and list week),
alert firings with their exactly-once posts, the customers a rule has seen at risk, and
muted rules

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clv.store.types import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outreach_assignments",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("week_end", sa.Date(), nullable=False),
        sa.Column("arm", sa.String(length=8), nullable=False),
        sa.Column("assigned_at", UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=True),
        sa.Column("segment", sa.String(length=32), nullable=False),
        sa.Column("predicted_clv", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_id", "week_end"),
    )
    op.create_index("ix_outreach_assignments_week_arm", "outreach_assignments", ["week_end", "arm"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("fire_key", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "rule", "fire_key", name="uq_alerts_channel_rule_key"),
    )
    op.create_index("ix_alerts_status_created", "alerts", ["status", "created_at"])
    op.create_table(
        "alert_subjects",
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.Column("last_seen", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("rule", "customer_id"),
    )
    op.create_table(
        "alert_mutes",
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("until", UTCDateTime(), nullable=False),
        sa.Column("muted_by", sa.String(length=64), nullable=False),
        sa.Column("muted_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("rule"),
    )


def downgrade() -> None:
    op.drop_table("alert_mutes")
    op.drop_table("alert_subjects")
    op.drop_index("ix_alerts_status_created", table_name="alerts")
    op.drop_table("alerts")
    op.drop_index("ix_outreach_assignments_week_arm", table_name="outreach_assignments")
    op.drop_table("outreach_assignments")
