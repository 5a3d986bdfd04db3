"""What readers see of a store, read through the functions `/clv` answers with, and a run's
per-customer scores, to compare a run with an uninterrupted scoring of the same day."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text

from clv.insights import RunRef, all_groups, current_ref, customer_view, group_summary
from clv.outreach.policy import OutreachRules
from clv.store import read_snapshot

NOW = datetime(2024, 7, 1, 9, tzinfo=UTC)  # the outreach verdict on the cards is as of then
RULES = OutreachRules(cooldown_days=30, require_email=False)
PER_RUN = ("customer_scores", "run_group_stats", "run_reports")
SCORES = text(
    """
    SELECT c.external_id, s.predicted_clv, s.formula_clv, s.p_alive, s.expected_purchases_90d,
           s.clv_low, s.clv_high, s.segment, s.tier, s.stage, s.dormant
    FROM customer_scores s JOIN customers c ON c.id = s.customer_id WHERE s.run_id = :run_id
    """
)


@dataclass(frozen=True)
class Readers:
    """The current run, some customers' cards, the segments and the biggest one's summary
    (as reprs: NaN compares equal to itself there), and the rows stored per run and week."""

    run: RunRef
    cards: tuple[str, ...]
    segments: str
    group: str
    rows: tuple[tuple[str, Any, int], ...]


def read_as_users_do(engine: Engine, keys: tuple[str, ...]) -> Readers:
    """Read as `/clv` answers do: one snapshot of the store (clv.store.read_snapshot)."""
    with read_snapshot(engine) as session:
        run = current_ref(session)
        cards = tuple(
            repr(customer_view(session, key, rules=RULES, now=NOW, run=None)) for key in keys
        )
        segments = all_groups(session)
        biggest = max(segments.groups, key=lambda group: (group.customers, group.name))
        group = repr(group_summary(session, biggest.name))
    return Readers(run, cards, repr(segments), group, stored_rows(engine))


def stored_rows(engine: Engine) -> tuple[tuple[str, Any, int], ...]:
    """(table, run id or week, rows) for the per-run tables and the weekly history."""
    found: list[tuple[str, Any, int]] = []
    with engine.connect() as connection:
        for table in PER_RUN:
            query = text(f"SELECT run_id, count(*) FROM {table} GROUP BY run_id ORDER BY run_id")
            found += [(table, row[0], row[1]) for row in connection.execute(query)]
        query = text("SELECT week_end, count(*) FROM customer_weekly GROUP BY 1 ORDER BY 1")
        found += [("customer_weekly", row[0], row[1]) for row in connection.execute(query)]
    return tuple(found)


def run_scores(engine: Engine, run_id: int) -> dict[str, tuple[Any, ...]]:
    """Each customer's stored scores in run `run_id`, by external id."""
    with engine.connect() as connection:
        rows = connection.execute(SCORES, {"run_id": run_id}).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def run_totals(engine: Engine, run_id: int) -> tuple[Any, ...]:
    """The run row's status, day, customers and customer equity."""
    query = text(
        "SELECT status, as_of, n_customers, n_buyers, n_dormant, customer_equity, model "
        "FROM scoring_runs WHERE id = :run_id"
    )
    with engine.connect() as connection:
        return tuple(connection.execute(query, {"run_id": run_id}).one())


def differences(got: dict[str, tuple[Any, ...]], want: dict[str, tuple[Any, ...]]) -> list[str]:
    """Customers whose scores differ beyond 1e-9 (relative, and absolute near zero)."""
    if got.keys() != want.keys():
        return [f"customers differ: {sorted(got.keys() ^ want.keys())[:5]}"]
    return [f"{key}: {got[key]} != {want[key]}" for key in want if not _same(got[key], want[key])]


def _same(got: tuple[Any, ...], want: tuple[Any, ...]) -> bool:
    return len(got) == len(want) and all(map(same_value, got, want))


def same_value(got: Any, want: Any) -> bool:
    if isinstance(want, float) and isinstance(got, float):
        both_nan = math.isnan(got) and math.isnan(want)
        return both_nan or math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9)
    return bool(got == want)
