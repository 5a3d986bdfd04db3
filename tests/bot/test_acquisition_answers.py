"""`/clv channels`, `funnel`, `cohorts` and `nps`: within Block Kit's limits whatever the data,
every data value escaped, and a clear answer when something is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, delete

from bot.slack.answers import answer
from bot.slack.payloads import to_clv_request
from clv.settings import Settings
from clv.store.tables import run_reports_table
from tests.acquisition_shop import HOSTILE_CHANNEL, build_acquisition_shop
from tests.bot.limits import all_text, assert_within_limits, mrkdwn_text
from tests.bot.served import BotUnderTest

COMMANDS = ("channels", "funnel", "funnel paid search", "cohorts", "cohorts quarter", "nps",
            "nps tier", "nps channel")  # fmt: skip


@pytest.fixture(scope="module")
def channel_shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, Settings]:
    from clv.store import make_engine, upgrade

    workdir = tmp_path_factory.mktemp("channels")
    url = f"sqlite:///{workdir / 'shop.db'}"
    engine = make_engine(url)
    upgrade(engine)
    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    build_acquisition_shop(engine, settings, workdir, extra_channels=40)
    return engine, settings


@pytest.mark.parametrize("command", COMMANDS)
def test_answers_stay_within_limits_and_escape_channel_names(
    channel_shop: tuple[Engine, Settings], command: str
) -> None:
    engine, settings = channel_shop
    message = answer(engine, settings, to_clv_request(command))
    assert_within_limits(message)
    mrkdwn = mrkdwn_text(message)
    assert "<!channel>" not in mrkdwn
    assert "<https://evil" not in mrkdwn
    if command in ("channels", "funnel", "nps channel"):
        assert "&lt;!channel&gt;" in mrkdwn  # the hostile channel is listed, escaped


def test_channels_lists_the_first_twenty_and_points_to_the_rest(
    channel_shop: tuple[Engine, Settings],
) -> None:
    engine, settings = channel_shop
    text = all_text(answer(engine, settings, to_clv_request("channels")))
    assert text.count("CLV:CAC *") + text.count("no CAC recorded") == 20
    assert "more: `clvbot channels`" in text
    assert "to keep 3:1, you can spend up to $" in text
    assert "changes since 2024-06-09" in text  # the backfilled run four weeks back


def test_unknown_words_name_what_there_is(channel_shop: tuple[Engine, Settings]) -> None:
    engine, settings = channel_shop
    text = all_text(answer(engine, settings, to_clv_request("funnel paid serch")))
    assert "no acquisition channel called 'paid serch'; did you mean paid search" in text
    text = all_text(answer(engine, settings, to_clv_request("cohorts weekly")))
    assert "cohort period 'weekly' is not one of month, quarter" in text
    text = all_text(answer(engine, settings, to_clv_request("nps colour")))
    assert "NPS grouping 'colour' is not one of segment, tier, channel" in text


def test_a_run_without_reports_says_to_score_again(
    channel_shop: tuple[Engine, Settings], tmp_path: Path
) -> None:
    import sqlite3

    from clv.store import make_engine

    engine, settings = channel_shop
    copy = tmp_path / "old.db"
    with sqlite3.connect(str(engine.url.database)) as source, sqlite3.connect(copy) as target:
        source.backup(target)  # the write-ahead log's pages included
    old = make_engine(f"sqlite:///{copy}")
    with old.begin() as connection:  # as a run scored by an older clvbot
        connection.execute(delete(run_reports_table))
    for command in ("channels", "funnel", "cohorts", "nps"):
        text = all_text(answer(old, settings, to_clv_request(command)))
        assert "have no" in text, command
        assert "run `clvbot score` and ask again" in text, command
    old.dispose()


def test_the_served_bot_answers_channels_on_a_store_without_channels(bot: BotUnderTest) -> None:
    reply = bot.command("channels")
    assert reply.status == 200
    message = reply.json()
    assert_within_limits(message)
    text = all_text(message)
    assert "(no channel)" in text  # the CDNOW store: two customers have a CAC, none a channel
    assert HOSTILE_CHANNEL not in text
