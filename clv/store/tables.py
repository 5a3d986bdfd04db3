"""The store's tables, in one place. Schema changes go through Alembic migrations.

Money is kept exactly, as integer minor units of the deployment's currency (cents for USD).
Each order also keeps the calendar day it was placed on in the deployment's time zone
(`ordered_on`): the purchase-frequency models count purchase days, not orders.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    false,
)
from sqlmodel import Field, SQLModel

from clv.store.types import UTCDateTime


class Customer(SQLModel, table=True):
    __tablename__ = "customers"

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=128, unique=True, index=True)
    email: str | None = Field(default=None, max_length=320, index=True)
    name: str | None = Field(default=None, max_length=256, index=True)  # did-you-mean by name
    acquired_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    acquisition_cost_minor: int | None = Field(default=None, sa_column=Column(BigInteger()))
    channel: str | None = Field(default=None, max_length=64, index=True)  # channel reports
    opted_out: bool = Field(default=False)
    nps: int | None = Field(default=None, sa_column=Column(SmallInteger()))


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    # covers the scoring aggregation (per customer and day, with amounts) without table reads
    __table_args__ = (
        Index("ix_orders_customer_day_amount", "customer_id", "ordered_on", "amount_minor"),
        Index("ix_orders_ordered_on", "ordered_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=128, unique=True)
    customer_id: int = Field(foreign_key="customers.id")
    ordered_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ordered_on: date = Field()
    amount_minor: int = Field(sa_column=Column(BigInteger(), nullable=False))


class ScoringRun(SQLModel, table=True):
    """One scoring run: kept for good, with the run's aggregates (the trend data).

    A run's row is written `running` when it starts and becomes `complete` in the transaction
    that writes its results, or `failed` with the reason; a `running` row left by a process
    that died is marked `interrupted` by the next run. A `full` run also writes every
    customer's scores (only the newest complete full run's are kept: the current run); a
    `backfill` run writes a past week's aggregates and weekly history only.
    """

    __tablename__ = "scoring_runs"
    __table_args__ = (Index("ix_scoring_runs_status_as_of", "status", "as_of"),)

    id: int | None = Field(default=None, primary_key=True)
    as_of: date
    week_end: date  # the last day of the week as_of falls in (weeks end on Sunday)
    status: str = Field(max_length=16)  # running | complete | failed | interrupted
    # full | backfill; the server default only filled the rows of before migration 0004
    kind: str = Field(sa_column=Column(String(length=16), nullable=False, server_default="full"))
    model: str = Field(max_length=16)
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    error: str | None = Field(default=None, max_length=2000)
    n_customers: int = 0
    n_buyers: int = 0
    n_active: int = 0
    n_dormant: int = 0
    customer_equity: float = Field(sa_column=Column(Float(), nullable=False, default=0.0))
    mean_clv: float = Field(sa_column=Column(Float(), nullable=False, default=0.0))
    revenue_week_minor: int = Field(sa_column=Column(BigInteger(), nullable=False, default=0))
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON(), nullable=False))


class RunGroupStat(SQLModel, table=True):
    """Size and value of one segment, tier or stage in one run."""

    __tablename__ = "run_group_stats"

    run_id: int = Field(
        sa_column=Column(ForeignKey("scoring_runs.id", ondelete="CASCADE"), primary_key=True)
    )
    dimension: str = Field(max_length=16, primary_key=True)  # segment | tier | stage
    name: str = Field(max_length=32, primary_key=True)
    customers: int
    clv_sum: float = Field(sa_column=Column(Float(), nullable=False))
    clv_median: float = Field(sa_column=Column(Float(), nullable=False))


class RunReport(SQLModel, table=True):
    """One of a run's acquisition reports (`clv.scoring.acquisition`): channels, funnel,
    cohorts by month and by quarter, NPS, as the JSON the readers parse. The scoring run
    writes them in its own transaction, so a reader reads one row instead of a million."""

    __tablename__ = "run_reports"

    run_id: int = Field(
        sa_column=Column(ForeignKey("scoring_runs.id", ondelete="CASCADE"), primary_key=True)
    )
    name: str = Field(max_length=32, primary_key=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON(), nullable=False))


class CustomerScore(SQLModel, table=True):
    """A customer's full scores; kept for the newest complete full run only (the current run)."""

    __tablename__ = "customer_scores"
    __table_args__ = (
        Index("ix_customer_scores_run_value", "run_id", "predicted_clv"),
        Index("ix_customer_scores_run_segment", "run_id", "segment", "predicted_clv"),
        Index("ix_customer_scores_run_stake", "run_id", "dormant", "value_at_stake"),
        Index("ix_customer_scores_run_overdue", "run_id", "overdue", "value_at_stake"),
    )

    run_id: int = Field(
        sa_column=Column(ForeignKey("scoring_runs.id", ondelete="CASCADE"), primary_key=True)
    )
    # no foreign key (migration 0014): a run writes the scores of the customers it read, and
    # checking each row cost PostgreSQL 0.6 s of attaching a million customers' partition
    customer_id: int = Field(primary_key=True)
    orders: int
    refunds: int
    historical_value_minor: int = Field(sa_column=Column(BigInteger(), nullable=False))
    aov: float | None = Field(default=None, sa_column=Column(Float()))
    first_order: date | None = None
    last_order: date | None = None
    days_since_last: int | None = None
    frequency: int
    recency: float = Field(sa_column=Column(Float(), nullable=False))
    tenure: float = Field(sa_column=Column(Float(), nullable=False))  # T, days
    monetary: float = Field(sa_column=Column(Float(), nullable=False))
    predicted_clv: float = Field(sa_column=Column(Float(), nullable=False))
    formula_clv: float = Field(sa_column=Column(Float(), nullable=False))
    p_alive: float | None = Field(default=None, sa_column=Column(Float()))  # None: no model
    expected_purchases_90d: float = Field(sa_column=Column(Float(), nullable=False))
    expected_spend: float = Field(sa_column=Column(Float(), nullable=False))
    clv_cac: float | None = Field(default=None, sa_column=Column(Float()))
    r_score: int = Field(sa_column=Column(SmallInteger(), nullable=False))
    f_score: int = Field(sa_column=Column(SmallInteger(), nullable=False))
    m_score: int = Field(sa_column=Column(SmallInteger(), nullable=False))
    segment: str = Field(max_length=32)
    tier: str | None = Field(default=None, max_length=16)
    stage: str = Field(max_length=16)
    dormant: bool
    dormant_reason: str | None = Field(default=None, max_length=200)
    value_at_stake: float = Field(sa_column=Column(Float(), nullable=False))
    # the CLV_INTERVAL ranges (None: no prediction); purchases over the CLV horizon
    clv_low: float | None = Field(default=None, sa_column=Column(Float()))
    clv_high: float | None = Field(default=None, sa_column=Column(Float()))
    expected_purchases_horizon: float | None = Field(default=None, sa_column=Column(Float()))
    purchases_low: int | None = None
    purchases_high: int | None = None
    order_gap_days: float | None = Field(default=None, sa_column=Column(Float()))  # usual gap
    next_order_on: date | None = None  # expected date of the next order (repeat buyers)
    overdue: bool = Field(default=False, sa_column=Column(Boolean(), nullable=False,
                                                          server_default=false()))  # fmt: skip


class CustomerWeekly(SQLModel, table=True):
    """A customer's scores at the end of a week: the history behind trends and movers."""

    __tablename__ = "customer_weekly"
    __table_args__ = (Index("ix_customer_weekly_customer", "customer_id", "week_end"),)

    week_end: date = Field(primary_key=True)
    # no foreign key (migration 0013): only scoring runs write these rows, from their own
    # customer scores, and a key checked per row cost PostgreSQL half of the history's write
    customer_id: int = Field(primary_key=True)
    predicted_clv: float = Field(sa_column=Column(Float(), nullable=False))
    segment: str = Field(max_length=32)
    dormant: bool = Field(default=False)  # what the digest's "went dormant" is counted from


class DigestPost(SQLModel, table=True):
    """One digest of one subscription for one channel and period: claimed, then posted (with
    its ts) or failed.

    The unique (subscription, channel, week_end) row is the exactly-once claim: whoever
    inserts it posts. `subscription` is "default" (DIGEST_CHANNEL, DIGEST_CRON) or a
    `digest_subscriptions` id; `week_end` is the period's key: the week's Sunday, or for a
    monthly subscription the month's last day.
    """

    __tablename__ = "digest_posts"
    __table_args__ = (
        UniqueConstraint(
            "subscription", "channel", "week_end", name="uq_digest_posts_subscription_channel_week"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscription: str = Field(
        sa_column=Column(String(length=16), nullable=False, server_default="default")
    )
    channel: str = Field(max_length=64)
    week_end: date
    status: str = Field(max_length=16)  # claimed | posted | failed
    claimed_by: str = Field(max_length=128)  # host:pid:token of the claiming process
    claimed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    attempts: int = 1
    trigger: str = Field(max_length=16)  # schedule | manual | force
    posted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    message_ts: str | None = Field(default=None, max_length=32)
    error: str | None = Field(default=None, max_length=2000)


class Outreach(SQLModel, table=True):
    """The audit row of one outreach request: who, when, which customer, how, and the result."""

    __tablename__ = "outreach"
    __table_args__ = (Index("ix_outreach_customer_requested", "customer_id", "requested_at"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(
        sa_column=Column(ForeignKey("customers.id", ondelete="CASCADE"), nullable=False)
    )
    requested_by: str = Field(max_length=64)  # Slack user id, or "cli"
    requested_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    source: str | None = Field(default=None, max_length=128)  # e.g. digest:C123:2024-06-30
    backend: str = Field(max_length=16)
    status: str = Field(max_length=16)  # claimed | sent | failed | refused
    reason: str | None = Field(default=None, max_length=500)
    message_id: str | None = Field(default=None, max_length=255)
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class OutreachContact(SQLModel, table=True):
    """The last claimed contact of a customer: the row the cooldown is claimed on atomically."""

    __tablename__ = "outreach_contacts"

    customer_id: int = Field(
        sa_column=Column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    )
    outreach_id: int = Field(
        sa_column=Column(ForeignKey("outreach.id", ondelete="CASCADE"), nullable=False)
    )
    claimed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class OutreachAssignment(SQLModel, table=True):
    """A customer's arm in the outreach experiment: `contact` or `holdout` (the control group).

    Written once when a re-engagement list (digest, alert, `/clv dormant`, an export, a click)
    first shows the customer in a list week (the current run's week end); the arm is a seeded
    hash of customer and week (`clv.outreach.holdout`). The customer keeps that arm for the
    outcome window: a held-out customer is not contacted until it closes.
    """

    __tablename__ = "outreach_assignments"
    __table_args__ = (Index("ix_outreach_assignments_week_arm", "week_end", "arm"),)

    customer_id: int = Field(
        sa_column=Column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    )
    week_end: date = Field(primary_key=True)
    arm: str = Field(max_length=8)  # contact | holdout
    assigned_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    source: str = Field(max_length=32)  # digest | alert | dormant | overdue | export | click
    reason: str = Field(max_length=16)  # dormant | overdue: why the customer was on the list
    tier: str | None = Field(default=None, max_length=16)
    segment: str = Field(max_length=32)
    predicted_clv: float = Field(sa_column=Column(Float(), nullable=False))


class Alert(SQLModel, table=True):
    """One firing of an alert rule for one channel, and its exactly-once post.

    Evaluation inserts the row `pending` with what the message says (`payload`); the unique
    (channel, rule, fire_key) row makes a second evaluation of the same run a no-op. Posting
    claims it (`claimed`, with a lease) and records `posted` with the ts, or `failed`; a muted
    rule's firing is kept `muted`, never posted.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("channel", "rule", "fire_key", name="uq_alerts_channel_rule_key"),
        Index("ix_alerts_status_created", "status", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=64)
    rule: str = Field(max_length=32)
    fire_key: str = Field(max_length=64)  # the run's day, and the subject when there is one
    run_id: int | None = None
    as_of: date
    status: str = Field(max_length=16)  # pending | claimed | posted | failed | muted
    summary: str = Field(max_length=500)  # one line of plain text, for /clv alerts
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON(), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    claimed_by: str | None = Field(default=None, max_length=128)
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    attempts: int = 0
    posted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    message_ts: str | None = Field(default=None, max_length=32)
    error: str | None = Field(default=None, max_length=2000)


class AlertSubject(SQLModel, table=True):
    """A customer a customer rule saw at risk, and the last run day it did: a customer is new
    to the rule (and alerted) when it has not seen them within the last week."""

    __tablename__ = "alert_subjects"

    rule: str = Field(max_length=32, primary_key=True)
    customer_id: int = Field(
        sa_column=Column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    )
    first_seen: date
    last_seen: date


class AlertMute(SQLModel, table=True):
    """A rule muted until a moment, by whom: its firings are kept `muted`, not posted."""

    __tablename__ = "alert_mutes"

    rule: str = Field(max_length=32, primary_key=True)
    until: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    muted_by: str = Field(max_length=64)
    muted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class AppHomeView(SQLModel, table=True):
    """A user who opened clvbot's home tab: when, and the run their home was last built from
    (a scoring run republishes the homes opened within APP_HOME_REFRESH_DAYS)."""

    __tablename__ = "app_home_views"
    __table_args__ = (Index("ix_app_home_views_opened", "opened_at"),)

    user_id: str = Field(max_length=64, primary_key=True)
    opened_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    published_run_id: int | None = None


class AppHomeChart(SQLModel, table=True):
    """The trend chart of one scoring run, uploaded to Slack once for the home tabs' image."""

    __tablename__ = "app_home_charts"

    run_id: int = Field(
        sa_column=Column(ForeignKey("scoring_runs.id", ondelete="CASCADE"), primary_key=True)
    )
    file_id: str = Field(max_length=32)
    uploaded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


# The Core tables, for set-based queries and bulk writes.
class SyncRun(SQLModel, table=True):
    """One nightly sync of orders from SYNC_SOURCE: its outcome, kept for good.

    `watermark`: the newest order timestamp in the store after a successful sync; the next
    sync reads from it minus the overlap window. `details` holds the files a file sync has
    imported (path, size, modification time) so that it imports only new or changed ones.
    """

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_status_started", "status", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=2000)  # the URL with its password masked, or the glob
    status: str = Field(max_length=16)  # running | ok | failed
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    since: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    watermark: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    read: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    error: str | None = Field(default=None, max_length=2000)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON(), nullable=False))


customers_table: Table = Customer.__table__  # type: ignore[attr-defined]
orders_table: Table = Order.__table__  # type: ignore[attr-defined]
scoring_runs_table: Table = ScoringRun.__table__  # type: ignore[attr-defined]
run_group_stats_table: Table = RunGroupStat.__table__  # type: ignore[attr-defined]
run_reports_table: Table = RunReport.__table__  # type: ignore[attr-defined]
customer_scores_table: Table = CustomerScore.__table__  # type: ignore[attr-defined]
customer_weekly_table: Table = CustomerWeekly.__table__  # type: ignore[attr-defined]
digest_posts_table: Table = DigestPost.__table__  # type: ignore[attr-defined]
outreach_table: Table = Outreach.__table__  # type: ignore[attr-defined]
outreach_contacts_table: Table = OutreachContact.__table__  # type: ignore[attr-defined]
sync_runs_table: Table = SyncRun.__table__  # type: ignore[attr-defined]
outreach_assignments_table: Table = OutreachAssignment.__table__  # type: ignore[attr-defined]
alerts_table: Table = Alert.__table__  # type: ignore[attr-defined]
alert_subjects_table: Table = AlertSubject.__table__  # type: ignore[attr-defined]
alert_mutes_table: Table = AlertMute.__table__  # type: ignore[attr-defined]
app_home_views_table: Table = AppHomeView.__table__  # type: ignore[attr-defined]
app_home_charts_table: Table = AppHomeChart.__table__  # type: ignore[attr-defined]


class DigestSubscription(SQLModel, table=True):
    """A channel's digest delivery (`/clv subscribe`): of which group (None: the whole shop),
    weekly or monthly, on which day, at what time in which zone. The default delivery
    (DIGEST_CHANNEL at DIGEST_CRON) is the configuration's, not a row here.

    The id is the number `/clv unsubscribe` takes and the key its claims are recorded under,
    so it is never reused (AUTOINCREMENT on SQLite, a sequence on PostgreSQL): a new
    subscription never inherits a removed one's claims. `delivery` is the subscription's
    defining columns in one non-null string (`clv.subscriptions.delivery_key`), unique, so
    the same subscription cannot be stored twice however many requests race.
    """

    __tablename__ = "digest_subscriptions"
    __table_args__ = (
        UniqueConstraint("delivery", name="uq_digest_subscriptions_delivery"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    delivery: str = Field(max_length=320)
    channel: str = Field(max_length=64)
    dimension: str | None = Field(default=None, max_length=16)  # segment | tier | channel
    group_name: str | None = Field(default=None, max_length=64)
    cadence: str = Field(max_length=8)  # weekly | monthly
    day: int = Field(sa_column=Column(SmallInteger(), nullable=False))  # 0 Mon..6 Sun | 1..28
    hour: int = Field(sa_column=Column(SmallInteger(), nullable=False))
    minute: int = Field(sa_column=Column(SmallInteger(), nullable=False))
    timezone: str = Field(max_length=64)  # an IANA name
    created_by: str = Field(max_length=64)  # Slack user id, or "cli"
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


digest_subscriptions_table: Table = DigestSubscription.__table__  # type: ignore[attr-defined]
