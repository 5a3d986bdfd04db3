"""PostgreSQL: customer_scores partitioned by run, so that a scoring run writes its scores into a
table of their own and attaches it (no index or foreign-key work per row, no lock readers
wait on), and the scores of older runs go by dropping their table (no million-row DELETE
for vacuum to clean up); SQLite keeps one table

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_customer_scores_run_value": "run_id, predicted_clv",
    "ix_customer_scores_run_segment": "run_id, segment, predicted_clv",
    "ix_customer_scores_run_stake": "run_id, dormant, value_at_stake",
    "ix_customer_scores_run_overdue": "run_id, overdue, value_at_stake",
}
FOREIGN_KEYS = (
    "FOREIGN KEY (run_id) REFERENCES scoring_runs (id) ON DELETE CASCADE",
    "FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE",
)


def _move(old: str, partitioned: bool) -> None:
    """customer_scores made again (partitioned by run, or one table) with the rows of `old`,
    its indexes and foreign keys as the models define them; `old` dropped."""
    by_run = " PARTITION BY LIST (run_id)" if partitioned else ""
    op.execute(f"CREATE TABLE customer_scores (LIKE {old} INCLUDING DEFAULTS){by_run}")
    op.execute("ALTER TABLE customer_scores ADD PRIMARY KEY (run_id, customer_id)")
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON customer_scores ({columns})")
    if partitioned:
        runs = op.get_bind().execute(text(f"SELECT DISTINCT run_id FROM {old}")).scalars()
        for run_id in sorted(runs):
            op.execute(
                f"CREATE TABLE customer_scores_r{int(run_id)} PARTITION OF customer_scores "
                f"FOR VALUES IN ({int(run_id)})"
            )
    op.execute(f"INSERT INTO customer_scores SELECT * FROM {old}")
    op.execute(f"DROP TABLE {old}")
    for constraint in FOREIGN_KEYS:
        op.execute(f"ALTER TABLE customer_scores ADD {constraint}")
    op.execute("ANALYZE customer_scores")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE customer_scores RENAME TO customer_scores_unpartitioned")
    op.execute(
        "ALTER TABLE customer_scores_unpartitioned RENAME CONSTRAINT customer_scores_pkey "
        "TO customer_scores_unpartitioned_pkey"
    )
    for name in INDEXES:
        op.execute(f"ALTER INDEX {name} RENAME TO {name}_unpartitioned")
    _move("customer_scores_unpartitioned", partitioned=True)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE customer_scores RENAME TO customer_scores_partitioned")
    op.execute(
        "ALTER TABLE customer_scores_partitioned RENAME CONSTRAINT customer_scores_pkey "
        "TO customer_scores_partitioned_pkey"
    )
    for name in INDEXES:
        op.execute(f"ALTER INDEX {name} RENAME TO {name}_partitioned")
    _move("customer_scores_partitioned", partitioned=False)
