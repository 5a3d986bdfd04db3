"""channels' digest subscriptions (`/clv subscribe`), and the digest's exactly-once claim per
subscription: the claim row names the subscription it posts for ("default": DIGEST_CHANNEL)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clv.store.types import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        # the subscription's defining columns in one non-null string: unique, so the same
        # subscription is never stored twice (NULLs would not collide in a composite key)
        sa.Column("delivery", sa.String(length=320), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=True),
        sa.Column("group_name", sa.String(length=64), nullable=True),
        sa.Column("cadence", sa.String(length=8), nullable=False),
        sa.Column("day", sa.SmallInteger(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("minute", sa.SmallInteger(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("delivery", name="uq_digest_subscriptions_delivery"),
        # ids are never reused: claims and `/clv unsubscribe <n>` are keyed by them
        sqlite_autoincrement=True,
    )
    # every claim made before this revision was the default digest's (DIGEST_CHANNEL, or the
    # channel `clvbot digest --send --channel` named)
    with op.batch_alter_table("digest_posts") as batch:
        batch.add_column(
            sa.Column(
                "subscription", sa.String(length=16), nullable=False, server_default="default"
            )
        )
        batch.drop_constraint("uq_digest_posts_channel_week", type_="unique")
        batch.create_unique_constraint(
            "uq_digest_posts_subscription_channel_week",
            ["subscription", "channel", "week_end"],
        )


def downgrade() -> None:
    op.execute("DELETE FROM digest_posts WHERE subscription != 'default'")
    with op.batch_alter_table("digest_posts") as batch:
        batch.drop_constraint("uq_digest_posts_subscription_channel_week", type_="unique")
        batch.create_unique_constraint("uq_digest_posts_channel_week", ["channel", "week_end"])
        batch.drop_column("subscription")
    op.drop_table("digest_subscriptions")
