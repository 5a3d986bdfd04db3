"""The digest's Acquisition section, and the cohort chart in the thread of a month's first
digest (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from clv.insights.channels import channel_report
from clv.insights.runs import RunRef
from clv.settings import Settings
from clv.store.tables import ScoringRun
from reports.digest.acquisition import MOVED, is_first_of_month
from reports.digest.data import build_digest
from reports.digest.publish import digest_client, publish_digest
from reports.digest.render import render_blocks, render_text
from tests.acquisition_shop import FIRST_SUNDAY, build_acquisition_shop
from tests.bot.fake_slack import FakeSlack
from tests.bot.limits import assert_within_limits, mrkdwn_text
from tests.reports.conftest import CHANNEL

MONDAY = datetime(2024, 7, 8, 9, tzinfo=UTC)


def test_the_section_names_the_moves_the_channels_below_target_and_the_newest_cohort(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    build_acquisition_shop(engine, settings, tmp_path)
    with Session(engine) as session:
        digest = build_digest(session, settings, week_end=FIRST_SUNDAY, now=MONDAY)
        run = session.get(ScoringRun, 6)
        assert run is not None
        assert run.as_of == FIRST_SUNDAY
        channels = channel_report(session, run=RunRef.of(run))
    section = digest.acquisition
    assert section is not None
    assert section.chart_due
    moved = sorted(
        (r for r in channels.channels if r.change and r.change.clv_cac is not None),
        key=lambda r: -abs(r.change.clv_cac or 0.0) if r.change else 0.0,
    )[:MOVED]
    below = [r for r in channels.channels if r.band in ("losing money", "below target")]
    assert below, "the demo shop has a paid channel below 3:1"
    assert [r.channel for r in section.channels] == [
        *(r.channel for r in moved),
        *(r.channel for r in below if r not in moved),
    ]
    assert section.compared_with == FIRST_SUNDAY - timedelta(weeks=4)
    cohort = section.cohort
    assert cohort is not None
    assert (cohort.newest.cohort, cohort.previous.cohort) == ("2024-06", "2024-05")
    assert cohort.period == 0  # June's only complete month is its first
    text = render_text(digest)
    assert "Acquisition (CLV:CAC target 3:1; changes since 2024-06-09)" in text
    assert "Cohort 2024-06: $" in text
    assert "for 2024-05 at the same age" in text
    message = render_blocks(digest, channel=CHANNEL)
    assert_within_limits(message)
    mrkdwn = mrkdwn_text(message)
    assert "*Acquisition*" in mrkdwn
    assert "below target: spend up to $" in mrkdwn
    assert "<!channel>" not in mrkdwn


def test_a_months_first_digest_has_the_cohort_chart_in_its_thread(
    engine: Engine, digest_settings: Settings, tmp_path: Path, fake_slack: FakeSlack
) -> None:
    build_acquisition_shop(engine, digest_settings, tmp_path)
    posting = digest_settings
    client = digest_client(posting)
    outcome = publish_digest(
        engine, posting, client, channel=CHANNEL, week_end=FIRST_SUNDAY, now=MONDAY
    )
    assert outcome.status == "posted"
    uploads = fake_slack.wait_for("/api/files.completeUploadExternal", count=2)
    assert all(u.body["thread_ts"] == outcome.message_ts for u in uploads)
    files = fake_slack.named("/upload/")
    assert len(files) == 2
    assert all(f.raw.startswith(b"\x89PNG") for f in files)
    # the week before is not a month's first: one chart, the trend
    later = publish_digest(
        engine, posting, client, channel=CHANNEL, week_end=date(2024, 6, 30), now=MONDAY
    )
    assert later.status == "posted"
    fake_slack.wait_for("/api/files.completeUploadExternal", count=3)
    assert len(fake_slack.named("/upload/")) == 3


def test_a_months_first_digest_is_of_its_first_sunday() -> None:
    assert is_first_of_month(date(2024, 7, 7))
    assert is_first_of_month(date(2024, 9, 1))
    assert not is_first_of_month(date(2024, 6, 30))
    assert not is_first_of_month(date(2024, 7, 14))
