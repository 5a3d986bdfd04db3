"""The store's tables, in one place. Schema changes go through Alembic migrations.

Money is kept exactly, as integer minor units of the deployment's currency (cents for USD).
Each order also keeps the calendar day it was placed on in the deployment's time zone
(`ordered_on`): the purchase-frequency models count purchase days, not orders.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, SmallInteger, Table
from sqlmodel import Field, SQLModel

from clv.store.types import UTCDateTime


class Customer(SQLModel, table=True):
    __tablename__ = "customers"

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=128, unique=True, index=True)
    email: str | None = Field(default=None, max_length=320, index=True)
    name: str | None = Field(default=None, max_length=256)
    acquired_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    acquisition_cost_minor: int | None = Field(default=None, sa_column=Column(BigInteger()))
    channel: str | None = Field(default=None, max_length=64)
    opted_out: bool = Field(default=False)
    nps: int | None = Field(default=None, sa_column=Column(SmallInteger()))


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_customer_day", "customer_id", "ordered_on"),)

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=128, unique=True)
    customer_id: int = Field(foreign_key="customers.id")
    ordered_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ordered_on: date = Field()
    amount_minor: int = Field(sa_column=Column(BigInteger(), nullable=False))


# The Core tables, for set-based queries and bulk writes.
customers_table: Table = Customer.__table__  # type: ignore[attr-defined]
orders_table: Table = Order.__table__  # type: ignore[attr-defined]
