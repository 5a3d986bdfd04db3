"""scoring runs say whether they are full (they wrote every customer's scores) or backfill
(a past week's aggregates and history only); runs are recorded `running` while they work

Existing rows: the run that owns the stored customer scores stays `full`; every other
complete run becomes `backfill`. Backfill runs used to be recorded complete like full runs
and so could be taken for the current run; older full runs whose scores were replaced are
indistinguishable from backfills now, and to the readers they are one: a week's aggregates
without customer scores. Failed rows keep `full` (nothing reads their kind).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite adds a column with a constant default in place; anything else would copy the
    # table, and dropping the old copy cascades to every run's customer scores and stats
    with op.batch_alter_table("scoring_runs") as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="full")
        )
    op.execute(
        "UPDATE scoring_runs SET kind = 'backfill' WHERE status = 'complete' AND NOT EXISTS "
        "(SELECT 1 FROM customer_scores WHERE customer_scores.run_id = scoring_runs.id)"
    )


def downgrade() -> None:
    # the older clvbot knows complete and failed runs only
    op.execute(
        "UPDATE scoring_runs SET status = 'failed', "
        "error = coalesce(error, 'interrupted') WHERE status IN ('running', 'interrupted')"
    )
    # in place on both (SQLite >= 3.35), not a table copy: see upgrade()
    op.execute("ALTER TABLE scoring_runs DROP COLUMN kind")
