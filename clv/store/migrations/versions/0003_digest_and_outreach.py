"""digest posts (exactly-once claims), the outreach audit with its cooldown claims, and
the dormant flag in the weekly history (the digest counts customers who went dormant)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clv.store.types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customer_weekly") as batch_op:
        batch_op.add_column(
            sa.Column("dormant", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "digest_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("week_end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=128), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "week_end", name="uq_digest_posts_channel_week"),
    )
    op.create_table(
        "outreach",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(length=128), nullable=True),
        sa.Column("backend", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outreach_customer_requested", "outreach", ["customer_id", "requested_at"])
    op.create_table(
        "outreach_contacts",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("outreach_id", sa.Integer(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["outreach_id"], ["outreach.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_id"),
    )


def downgrade() -> None:
    op.drop_table("outreach_contacts")
    op.drop_index("ix_outreach_customer_requested", table_name="outreach")
    op.drop_table("outreach")
    op.drop_table("digest_posts")
    with op.batch_alter_table("customer_weekly") as batch_op:
        batch_op.drop_column("dormant")
