"""A filtered digest (`/clv subscribe tier Gold`) speaks of its group only: its equity, trend,
counts, segments, movers and re-engagement list are those of the group's customers, counted
here independently of the code under test (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest
from sqlalchemy import Engine, select, update
from sqlmodel import Session

from clv.insights.scope import GroupScope, UnknownScopeError, find_scope
from clv.insights.scope_history import scope_weeks, weekly_members
from clv.segments.definitions import CLV_TIERS
from clv.settings import Settings
from clv.store.tables import (
    customer_scores_table,
    customer_weekly_table,
    customers_table,
    run_group_stats_table,
    scoring_runs_table,
)
from reports.digest.data import Digest, build_digest
from reports.digest.render import render_blocks, render_text
from tests.bot.limits import all_text, assert_within_limits
from tests.reports.conftest import AS_OF, CHANNEL, MONDAY_9AM

WEEKS = [date(2024, 6, 9), date(2024, 6, 16), date(2024, 6, 23), AS_OF]


def channel_of(customer_id: int) -> str | None:
    """The test shop's acquisition channels, set after import (the build has none)."""
    return {0: "email", 1: "paid search"}.get(customer_id % 3)


@pytest.fixture
def channelled(shop: Engine) -> Engine:
    with shop.begin() as connection:
        ids = [row.id for row in connection.execute(select(customers_table.c.id))]
        for customer_id in ids:
            connection.execute(
                update(customers_table)
                .where(customers_table.c.id == customer_id)
                .values(channel=channel_of(customer_id))
            )
    return shop


def group_digest(engine: Engine, settings: Settings, scope: GroupScope) -> Digest:
    with Session(engine) as session:
        return build_digest(session, settings, week_end=AS_OF, now=MONDAY_9AM, scope=scope)


def weekly_rows(engine: Engine) -> list[tuple[date, int, float, str, bool]]:
    w = customer_weekly_table
    with engine.connect() as connection:
        rows = connection.execute(
            select(w.c.week_end, w.c.customer_id, w.c.predicted_clv, w.c.segment, w.c.dormant)
        )
        return [(date.fromisoformat(r[0]) if isinstance(r[0], str) else r[0], *r[1:]) for r in rows]


def current_scores(engine: Engine) -> list[tuple[int, str, str | None, bool, str | None]]:
    """(customer id, segment, tier, dormant, channel) of the current run's scores."""
    s, c = customer_scores_table, customers_table
    with engine.connect() as connection:
        run_id = connection.execute(
            select(scoring_runs_table.c.id)
            .where(scoring_runs_table.c.kind == "full", scoring_runs_table.c.status == "complete")
            .order_by(scoring_runs_table.c.id.desc())
        ).scalar()
        rows = connection.execute(
            select(s.c.customer_id, s.c.segment, s.c.tier, s.c.dormant, c.c.channel)
            .join(c, c.c.id == s.c.customer_id)
            .where(s.c.run_id == run_id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_a_channel_digest_counts_only_that_channels_customers(
    channelled: Engine, settings: Settings
) -> None:
    digest = group_digest(channelled, settings, GroupScope("channel", "email"))
    expected: dict[date, list[tuple[float, bool]]] = defaultdict(list)
    for week, customer_id, clv, _segment, dormant in weekly_rows(channelled):
        if channel_of(customer_id) == "email":
            expected[week].append((clv, dormant))
    assert [p.week_end for p in digest.trend] == WEEKS
    for point in digest.trend:
        members = expected[point.week_end]
        assert point.active + point.dormant == len(members) > 0
        assert point.dormant == sum(d for _, d in members)
        assert point.customer_equity == pytest.approx(sum(v for v, _ in members))
        assert point.mean_clv == pytest.approx(point.customer_equity / len(members))
    assert digest.customer_equity == pytest.approx(sum(v for v, _ in expected[AS_OF]))
    before = sum(v for v, _ in expected[date(2024, 6, 23)])
    assert digest.change_week == pytest.approx(digest.customer_equity - before)
    assert sum(row.customers for row in digest.segments) == len(expected[AS_OF])
    scores = current_scores(channelled)
    assert digest.dormant_total == sum(1 for _, _, _, d, ch in scores if d and ch == "email")
    listed = {row.customer_id for row in digest.dormant}
    assert listed
    assert all(channel_of(customer_id) == "email" for customer_id in listed)
    assert digest.outreach is None
    assert digest.acquisition is None
    assert digest.drivers is None


def test_a_tier_digest_is_of_the_tier_the_scoring_gave_each_week(
    shop: Engine, settings: Settings
) -> None:
    """Weekly history keeps no tier: it is recomputed by the tier rule, in SQL, and must give
    every week the very counts and values the scoring run stored for the tier."""
    stats = run_group_stats_table
    with Session(shop) as session:
        for tier in CLV_TIERS:
            members = weekly_members(session, GroupScope("tier", tier.name), WEEKS)
            weeks = scope_weeks(session, members)
            stored = session.execute(
                select(scoring_runs_table.c.week_end, stats.c.customers, stats.c.clv_sum)
                .join(stats, stats.c.run_id == scoring_runs_table.c.id)
                .where(stats.c.dimension == "tier", stats.c.name == tier.name)
                .order_by(scoring_runs_table.c.week_end)
            ).all()
            by_week = {row.week_end: row for row in stored}
            for week in weeks:
                row = by_week.get(week.week_end)
                assert week.customers == (row.customers if row else 0), (tier.name, week)
                assert week.customer_equity == pytest.approx(row.clv_sum if row else 0.0)
    digest = group_digest(shop, settings, GroupScope("tier", "Low"))
    scores = current_scores(shop)
    assert digest.dormant_total == sum(1 for _, _, tier, d, _ in scores if d and tier == "Low")
    low = {customer_id for customer_id, _, tier, _, _ in scores if tier == "Low"}
    assert digest.dormant
    assert {row.customer_id for row in digest.dormant} <= low


def test_a_segment_digest_shows_that_segment_and_who_moved_in_or_out(
    shop: Engine, settings: Settings
) -> None:
    digest = group_digest(shop, settings, GroupScope("segment", "Hibernating"))
    rows = weekly_rows(shop)
    now = [(c, v) for week, c, v, segment, _ in rows if week == AS_OF and segment == "Hibernating"]
    assert [(s.name, s.customers) for s in digest.segments] == [("Hibernating", len(now))]
    assert digest.segments[0].clv_sum == pytest.approx(sum(v for _, v in now))
    assert all("Hibernating" in (m.source, m.target) for m in digest.migrations)
    assert all(row.segment == "Hibernating" for row in digest.dormant)
    text = render_text(digest, channel=CHANNEL)
    assert text.startswith("Weekly CLV digest, Hibernating segment, week ending Sun 30 Jun 2024")
    assert "Outreach results" not in text
    assert f"{digest.dormant_total:,} dormant in the Hibernating segment" in text


def test_a_group_digest_names_its_group_and_fits_slack(
    channelled: Engine, settings: Settings
) -> None:
    hostile = "<!channel> & *co*"
    with channelled.begin() as connection:
        connection.execute(
            update(customers_table)
            .where(customers_table.c.channel == "email")
            .values(channel=hostile)
        )
    digest = group_digest(channelled, settings, GroupScope("channel", hostile))
    message = render_blocks(digest, channel=CHANNEL)
    assert_within_limits(message)
    title = message["blocks"][0]["text"]["text"]
    assert title == f"Weekly CLV digest · {hostile} channel · week ending Sun 30 Jun 2024"
    assert message["text"].startswith("Weekly CLV digest, &lt;!channel&gt; &amp; *co* channel")
    assert "<!channel>" not in all_text({"blocks": message["blocks"][1:]})
    assert "Outreach results" not in all_text(message)


def test_the_whole_shop_digest_is_unchanged_by_groups(shop: Engine, settings: Settings) -> None:
    with Session(shop) as session:
        digest = build_digest(session, settings, week_end=AS_OF, now=MONDAY_9AM)
    message = render_blocks(digest, channel=CHANNEL)
    assert message["blocks"][0]["text"]["text"] == "Weekly CLV digest · week ending Sun 30 Jun 2024"
    assert message["text"].startswith("Weekly CLV digest, week ending Sun 30 Jun 2024: ")
    assert digest.scope is None
    assert digest.outreach is not None
    assert "Outreach results" in all_text(message)
    assert f"{digest.dormant_total:,} dormant in all" in all_text(message)


def test_groups_are_matched_forgivingly_and_refused_clearly() -> None:
    channels = ["email", "paid search"]
    assert find_scope("segment", "cant lose THEM", channels=channels).name == "Can't Lose Them"
    assert find_scope("tier", "gold", channels=channels) == GroupScope("tier", "Gold")
    assert find_scope("channel", "Paid-Search", channels=channels).name == "paid search"
    with pytest.raises(UnknownScopeError, match="no tier called 'Golden'; did you mean Gold"):
        find_scope("tier", "Golden", channels=channels)
    with pytest.raises(UnknownScopeError, match="Prospects have not bought yet"):
        find_scope("segment", "prospects", channels=channels)
    with pytest.raises(UnknownScopeError, match="acquisition channels: email, paid search"):
        find_scope("channel", "tv", channels=channels)
