"""who opened clvbot's App Home (and when it was last published for them), and the trend
chart uploaded to Slack once per scoring run for the home tab's image block

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clv.store.types import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "app_home_views",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("published_run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_index("ix_app_home_views_opened", "app_home_views", ["opened_at"])
    op.create_table(
        "app_home_charts",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.String(length=32), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["scoring_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id"),
    )


def downgrade() -> None:
    op.drop_table("app_home_charts")
    op.drop_index("ix_app_home_views_opened", table_name="app_home_views")
    op.drop_table("app_home_views")
