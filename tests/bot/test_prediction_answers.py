"""`/clv model` with CLV_MODEL=auto's comparison and the coverage of the ranges, and `/clv
overdue`, over the scored CDNOW store, checked against what the store holds."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from bot.slack.answers import answer
from bot.slack.payloads import to_clv_request
from clv.insights import model_status
from clv.scoring.pipeline import score
from clv.store import make_engine
from clv.store.tables import customer_scores_table, customers_table
from tests.bot.limits import all_text, assert_within_limits
from tests.helpers import shipped_settings


def test_model_shows_the_models_compared_and_the_coverage(store_copy: str) -> None:
    engine = make_engine(store_copy)
    settings = shipped_settings(store_copy)
    score(engine, settings, as_of=date(1997, 9, 30))
    message = answer(engine, settings, to_clv_request("model"))
    assert_within_limits(message)
    text = all_text(message)
    with Session(engine) as session:
        status = model_status(session)
    chosen = next(row for row in status.comparison if row.chosen)
    names = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "pnbd": "Pareto/NBD"}
    assert "Models compared on the holdout" in text
    assert "actual repeat purchases 1,882" in text
    table = text[text.index("```") :]
    for row in status.comparison:
        line = next(line for line in table.splitlines() if line.startswith(names[row.key]))
        assert f"{row.predicted_holdout:,.1f}" in line
        assert line.rstrip("`").endswith("✓") == (row is chosen)
    assert f"{names[chosen.key]} + Gamma-Gamma (chosen by CLV_MODEL=auto)" in text
    assert "% range (the ranges' own probabilities expected" in text
    assert status.equity_range is not None
    assert f"80 %: ${status.equity_range.low:,.0f}" in text
    engine.dispose()


def test_overdue_lists_the_stored_overdue_customers(store_copy: str) -> None:
    engine = make_engine(store_copy)
    settings = shipped_settings(store_copy)
    s, c = customer_scores_table, customers_table
    with engine.connect() as connection:
        expected = connection.execute(
            select(c.c.external_id).join(s, s.c.customer_id == c.c.id)
            .where(s.c.overdue.is_(True))
            .order_by(s.c.value_at_stake.desc(), c.c.external_id).limit(5)
        ).scalars().all()  # fmt: skip
    message = answer(engine, settings, to_clv_request("overdue 5"))
    assert_within_limits(message)
    text = all_text(message)
    positions = [text.index(f"`{key}`") for key in expected]
    assert len(expected) == 5
    assert positions == sorted(positions)
    assert "Overdue customers by value at stake" in text
    assert "usually every" in text
    assert "days ago" in text
    assert "80th percentile" in text  # the rule, said under the list
    engine.dispose()
