"""Customers and orders.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clv.store.types import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("name", sa.String(256), nullable=True),
        sa.Column("acquired_at", UTCDateTime(), nullable=True),
        sa.Column("acquisition_cost_minor", sa.BigInteger(), nullable=True),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("nps", sa.SmallInteger(), nullable=True),
    )
    op.create_index("ix_customers_external_id", "customers", ["external_id"], unique=True)
    op.create_index("ix_customers_email", "customers", ["email"])
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("external_id", sa.String(128), nullable=False, unique=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("ordered_at", UTCDateTime(), nullable=False),
        sa.Column("ordered_on", sa.Date(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_orders_customer_day", "orders", ["customer_id", "ordered_on"])


def downgrade() -> None:
    op.drop_index("ix_orders_customer_day", table_name="orders")
    op.drop_table("orders")
    op.drop_index("ix_customers_email", table_name="customers")
    op.drop_index("ix_customers_external_id", table_name="customers")
    op.drop_table("customers")
