"""App Home through the served bot and the fake Slack (the sandbox's Web API): the home a user
sees on `app_home_opened`, rebuilt only when it is not of the current run and after a scoring
run for recent visitors, masked by default, its Segment modal, outreach from it, and a
rate-limited `views.publish` (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, func, select, update

from clv.formatting import money
from clv.insights.groups import GROUPS
from clv.scoring.pipeline import score
from clv.settings import Settings
from clv.store import make_engine, upgrade
from clv.store.tables import (
    app_home_charts_table,
    app_home_views_table,
    customer_scores_table,
    customers_table,
    scoring_runs_table,
)
from reports.digest.publish import digest_client
from reports.home import OPEN_SEGMENT
from reports.home.refresh import refresh_homes
from reports.home.render import HOME_CALLBACK
from tests.bot.fake_slack import FakeSlack
from tests.bot.limits import all_text
from tests.bot.served import ServedBot
from tests.outreach.conftest import UNSUBSCRIBE
from tests.reports.conftest import AS_OF, build_small_shop
from tests.smtp import SmtpServer

scores, customers, runs = customer_scores_table, customers_table, scoring_runs_table
USER = "U0HOME001"


def home_opened(user: str = USER, view: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `app_home_opened` event (https://docs.slack.dev/reference/events/app_home_opened)."""
    event: dict[str, Any] = {"type": "app_home_opened", "user": user, "channel": "D0APPDM01",
                             "tab": "home", "event_ts": "1719824400.000100"}  # fmt: skip
    if view is not None:
        event["view"] = view
    return event


def published(fake: FakeSlack, count: int = 1) -> list[dict[str, Any]]:
    """The views the bot published, oldest first (as the bot sent them)."""
    calls = fake.wait_for("/api/views.publish", count, timeout=20)
    return [{**c.body, "view": _json(c.body["view"])} for c in calls]


def _json(value: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(value) if isinstance(value, str) else value
    return data


@pytest.fixture
def shop(engine: Engine, settings: Settings, tmp_path: Path) -> Engine:
    build_small_shop(engine, settings, tmp_path)
    return engine


def current_run_id(engine: Engine) -> int:
    with engine.connect() as connection:
        query = select(func.max(runs.c.id)).where(runs.c.status == "complete")
        return int(connection.execute(query).scalar_one())


def top_dormant(engine: Engine, run_id: int, limit: int = 5) -> list[str]:
    """An independent read of the re-engagement list's top: dormant, by value at stake."""
    query = (
        select(customers.c.external_id)
        .join(scores, scores.c.customer_id == customers.c.id)
        .where(scores.c.run_id == run_id, scores.c.dormant.is_(True))
        .order_by(scores.c.value_at_stake.desc(), customers.c.id)
        .limit(limit)
    )
    with engine.connect() as connection:
        return [str(key) for key in connection.execute(query).scalars()]


def test_opening_the_home_publishes_it_from_the_current_run(
    shop: Engine, settings: Settings, serve: Callable[..., ServedBot], fake_slack: FakeSlack
) -> None:
    bot = serve(settings.database_url)
    assert bot.event(home_opened()).status == 200
    (call,) = published(fake_slack)
    view, run_id = call["view"], current_run_id(shop)
    assert call["user_id"] == USER
    assert view["type"] == "home"
    assert view["callback_id"] == HOME_CALLBACK
    assert json.loads(view["private_metadata"]) == {"run_id": run_id}
    text = all_text(view)
    with shop.connect() as connection:
        equity = connection.execute(
            select(func.sum(scores.c.predicted_clv)).where(scores.c.run_id == run_id)
        ).scalar_one()
    assert money(equity, "USD", decimals=0) in text
    assert f"Scores as of {AS_OF}" in text
    # the re-engagement list's top five, in order, each with a button or the reason it has none
    sections = [b for b in view["blocks"] if str(b.get("block_id", "")).startswith("outreach:")]
    shown = [all_text(b).split("*")[1].split(" ")[0] for b in sections[:5]]
    assert shown == top_dormant(shop, run_id)
    assert all("accessory" in b or "no button" in all_text(b) for b in sections)
    actions = {e["action_id"] for b in view["blocks"] if b["type"] == "actions"
               for e in b["elements"]}  # fmt: skip
    assert {"open_lookup", OPEN_SEGMENT} <= actions
    assert "Model health" in text
    assert "Latest alerts" in text


def test_the_trend_chart_is_uploaded_once_per_run_and_named_by_the_image_block(
    shop: Engine, settings: Settings, serve: Callable[..., ServedBot], fake_slack: FakeSlack
) -> None:
    bot = serve(settings.database_url)
    bot.event(home_opened("U0HOME001"))
    bot.event(home_opened("U0HOME002"), event_id="Ev0002")
    first, second = published(fake_slack, 2)
    images = [[b for b in c["view"]["blocks"] if b["type"] == "image"] for c in (first, second)]
    (one,), (two,) = images
    assert one["slack_file"] == two["slack_file"]
    assert len(fake_slack.named("/api/files.completeUploadExternal")) == 1
    with shop.connect() as connection:
        (row,) = connection.execute(select(app_home_charts_table)).all()
    assert row.file_id == one["slack_file"]["id"]
    assert row.run_id == current_run_id(shop)
    # the chart went to no channel: nobody but the home's viewers sees it
    (upload,) = fake_slack.named("/api/files.completeUploadExternal")
    assert not upload.body.get("channel_id")
    assert not upload.body.get("channels")


def logged(caplog: pytest.LogCaptureFixture, text: str, count: int = 1) -> None:
    """Wait until the bot's listeners have logged `text` `count` times (they run in threads
    of this process): the sign that they are done, before counting what they published."""
    deadline = time.monotonic() + 15
    while sum(text in r.getMessage() for r in caplog.records) < count:
        assert time.monotonic() < deadline, f"never logged {count} x {text!r}"
        time.sleep(0.02)


def test_a_home_already_of_the_current_run_is_not_rebuilt_on_opening(
    shop: Engine,
    settings: Settings,
    serve: Callable[..., ServedBot],
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="clvbot.slack")
    bot = serve(settings.database_url)
    bot.event(home_opened())
    (call,) = published(fake_slack)
    assert published_run(shop, USER) == current_run_id(shop)
    bot.event(home_opened(view=call["view"]), event_id="Ev0002")  # the home as Slack shows it
    bot.event(home_opened(view=call["view"]), event_id="Ev0003")
    logged(caplog, f"the home of {USER} is of the current run: not rebuilt", 2)
    assert len(fake_slack.named("/api/views.publish")) == 1


def test_a_scoring_run_republishes_recent_homes_once(
    shop: Engine, settings: Settings, serve: Callable[..., ServedBot], fake_slack: FakeSlack
) -> None:
    bot = serve(settings.database_url)
    for i, user in enumerate(("U0RECENT1", "U0RECENT2", "U0LONGAGO")):
        bot.event(home_opened(user), event_id=f"Ev{i}")
    published(fake_slack, 3)
    assert all(published_run(shop, u) for u in ("U0RECENT1", "U0RECENT2", "U0LONGAGO"))
    now = datetime.now(UTC)
    with shop.begin() as connection:  # one visitor last came 15 days ago (the window is 14)
        connection.execute(update(app_home_views_table)
                           .where(app_home_views_table.c.user_id == "U0LONGAGO")
                           .values(opened_at=now - timedelta(days=15)))  # fmt: skip
    slack = digest_client(bot.settings)  # the scheduler's client: the fake Web API
    assert refresh_homes(shop, bot.settings, slack, now=now) == 0  # nothing new: no publish
    score(shop, bot.settings, as_of=AS_OF)  # a new run of the same day
    assert refresh_homes(shop, bot.settings, slack, now=now) == 2
    assert refresh_homes(shop, bot.settings, slack, now=now) == 0  # a second replica: nothing
    calls = published(fake_slack, 5)
    assert sorted(c["user_id"] for c in calls[3:]) == ["U0RECENT1", "U0RECENT2"]
    new_run = current_run_id(shop)
    assert all(json.loads(c["view"]["private_metadata"])["run_id"] == new_run for c in calls[3:])


@pytest.mark.parametrize("personal", [False, True])
def test_names_are_masked_unless_app_home_personal_data(
    personal: bool,
    shop: Engine,
    settings: Settings,
    serve: Callable[..., ServedBot],
    fake_slack: FakeSlack,
) -> None:
    bot = serve(settings.database_url, app_home_personal_data=personal)
    bot.event(home_opened())
    text = all_text(published(fake_slack)[0]["view"])
    assert ("Buyer Number" in text) is personal
    assert ("B••• N•••" in text) is not personal
    assert "@example.com" not in text  # an email address is never on the home


def test_before_the_first_run_the_home_welcomes(
    tmp_path: Path, serve: Callable[..., ServedBot], fake_slack: FakeSlack
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    upgrade(make_engine(url))
    bot = serve(url)
    bot.event(home_opened())
    text = all_text(published(fake_slack)[0]["view"])
    assert "no scores yet" in text
    assert "clvbot score" in text


def test_the_messages_tab_and_unknown_users_get_no_home(
    shop: Engine,
    settings: Settings,
    serve: Callable[..., ServedBot],
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="clvbot.slack")
    bot = serve(settings.database_url, slack_allowed_users="U0HOME001",
                slack_allowed_channels="C0ONLYHERE")  # fmt: skip
    bot.event({**home_opened(), "tab": "messages"})
    refused = bot.event(home_opened("U0STRANGER"), event_id="Ev0002")  # refused in the ack
    assert "not enabled for you" in refused.body
    bot.event(home_opened(), event_id="Ev0003")  # allowed: a home is in no channel
    (call,) = published(fake_slack)
    assert call["user_id"] == USER
    logged(caplog, "app_home_opened of another tab: nothing to publish")
    assert len(fake_slack.named("/api/views.publish")) == 1


def home_click(bot: ServedBot, action_id: str, value: str, view: dict[str, Any]) -> int:
    """A click on a button of the home `view`: no channel, no response_url, a trigger_id
    (https://docs.slack.dev/reference/interaction-payloads/block_actions-payload)."""
    payload = {
        "type": "block_actions", "user": {"id": USER, "username": "jane", "team_id": "T1"},
        "api_app_id": "A1", "team": {"id": "T1", "domain": "shop"},
        "container": {"type": "view", "view_id": "V0HOME"}, "trigger_id": bot.fake.trigger_id(),
        "view": {**view, "id": "V0HOME"},
        "actions": [{"action_id": action_id, "block_id": "b", "value": value,
                     "type": "button", "action_ts": "1719824400.1"}],
    }  # fmt: skip
    return bot.post(urlencode({"payload": json.dumps(payload)})).status


def test_the_segment_modal_shows_the_group_picked(
    shop: Engine, settings: Settings, serve: Callable[..., ServedBot], fake_slack: FakeSlack
) -> None:
    bot = serve(settings.database_url)
    bot.event(home_opened())
    home = published(fake_slack)[0]["view"]
    assert home_click(bot, OPEN_SEGMENT, "segment", home) == 200
    (opened,) = fake_slack.wait_for("/api/views.open", timeout=20)
    picker = _json(opened.body["view"])
    element = picker["blocks"][0]["element"]
    offered = [o["value"] for g in element["option_groups"] for o in g["options"]]
    assert offered == [g[1] for g in GROUPS]
    run_id = current_run_id(shop)
    with shop.connect() as connection:
        segment, size = connection.execute(
            select(scores.c.segment, func.count()).where(scores.c.run_id == run_id)
            .group_by(scores.c.segment).order_by(func.count().desc()).limit(1)
        ).one()  # fmt: skip
    choice = {"type": "static_select", "selected_option": {"value": segment}}
    state = {"values": {"group": {"group_choice": choice}}}
    answer = bot.submit({**picker, "id": "V0PICK", "state": state}, user=USER).json()
    assert answer["response_action"] == "update"
    assert answer["view"]["type"] == "modal"
    assert f"{size:,}" in all_text(answer["view"])
    assert segment in all_text(answer["view"])
    empty = bot.submit({**picker, "id": "V0PICK", "state": {"values": {}}}, user=USER).json()
    assert empty["response_action"] == "errors"
    assert "group" in empty["errors"]


def test_a_rate_limited_publish_is_waited_out(
    shop: Engine,
    settings: Settings,
    serve: Callable[..., ServedBot],
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    fake_slack.faults.rate_limit("views.publish", times=1, retry_after=1)
    bot = serve(settings.database_url)
    bot.event(home_opened())
    calls = fake_slack.wait_for("/api/views.publish", 2, timeout=20)
    assert len(calls) == 2  # the 429, then the publish
    assert "Slack rate-limited views.publish: retrying in 1 s (retry 1 of 2)" in caplog.text
    assert published_run(shop, USER) == current_run_id(shop)


def published_run(engine: Engine, user: str, timeout: float = 10.0) -> int | None:
    """The run `user`'s home was recorded as published from, once the bot has recorded it
    (it does so right after views.publish answers)."""
    deadline = time.monotonic() + timeout
    query = select(app_home_views_table.c.published_run_id).where(
        app_home_views_table.c.user_id == user
    )
    while True:
        with engine.connect() as connection:
            run_id = connection.execute(query).scalar_one_or_none()
        if run_id is not None or time.monotonic() > deadline:
            return run_id
        time.sleep(0.05)


def test_outreach_from_the_home_sends_once_and_rebuilds_the_home(
    shop: Engine,
    settings: Settings,
    serve: Callable[..., ServedBot],
    fake_slack: FakeSlack,
    smtp_server: SmtpServer,
) -> None:
    bot = serve(settings.database_url, outreach_backend="smtp", smtp_host="127.0.0.1",
                smtp_port=smtp_server.port, smtp_starttls=False, smtp_from="shop@example.com",
                outreach_unsubscribe_url=UNSUBSCRIBE)  # fmt: skip
    bot.event(home_opened())
    home = published(fake_slack)[0]["view"]
    assert published_run(shop, USER) is not None
    block = next(b for b in home["blocks"] if "accessory" in b)
    button = block["accessory"]
    assert home_click(bot, button["action_id"], button["value"], home) == 200
    (opened,) = fake_slack.wait_for("/api/views.open", timeout=20)
    modal = _json(opened.body["view"])
    for _ in range(2):  # Send twice: one email
        bot.submit({**modal, "id": "V0SEND"}, user=USER)
    rebuilt = published(fake_slack, 3)[1:]  # each Send rebuilt the home once it was done
    assert len(smtp_server.messages) == 1
    notices = sorted(all_text({"blocks": c["view"]["blocks"][1:2]}) for c in rebuilt)  # title
    assert all("Outreach sent by" in notice for notice in notices)
    assert sum("no second message" in notice for notice in notices) == 1  # the second Send
    after = next(b for b in rebuilt[-1]["view"]["blocks"] if b.get("block_id") == block["block_id"])
    assert "accessory" not in after
    assert "no button" in all_text(after)


def test_two_replicas_refreshing_at_once_publish_each_home_once(
    shop: Engine, settings: Settings, serve: Callable[..., ServedBot], fake_slack: FakeSlack
) -> None:
    bot = serve(settings.database_url)
    users = [f"U0TWIN{i:03d}" for i in range(6)]
    for i, user in enumerate(users):
        bot.event(home_opened(user), event_id=f"Ev{i}")
    published(fake_slack, len(users))
    assert all(published_run(shop, u) for u in users)
    score(shop, bot.settings, as_of=AS_OF)  # a new run: every home is stale
    now, start = datetime.now(UTC), threading.Barrier(2)
    counts: list[int] = []

    def replica() -> None:
        engine = make_engine(settings.database_url)  # each replica its own pool
        start.wait()
        counts.append(refresh_homes(engine, bot.settings, digest_client(bot.settings), now=now))
        engine.dispose()

    threads = [threading.Thread(target=replica) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(counts) == len(users)
    calls = published(fake_slack, 2 * len(users))
    assert sorted(c["user_id"] for c in calls[len(users) :]) == users
    assert len(fake_slack.named("/api/views.publish")) == 2 * len(users)


def test_a_chart_slack_refuses_leaves_the_image_out_and_the_home_is_published(
    shop: Engine, settings: Settings, serve: Callable[..., ServedBot], fake_slack: FakeSlack
) -> None:
    fake_slack.faults.fail("views.publish", "invalid_blocks", times=1)
    bot = serve(settings.database_url)
    bot.event(home_opened())
    refused, shown = published(fake_slack, 2)
    assert [b for b in refused["view"]["blocks"] if b["type"] == "image"]
    assert not [b for b in shown["view"]["blocks"] if b["type"] == "image"]
    assert "Equity by week" in all_text(shown["view"])  # the numbers are still there
    assert published_run(shop, USER) == current_run_id(shop)
    with shop.connect() as connection:  # the next home of the run does not try it again
        assert connection.execute(select(func.count()).select_from(app_home_charts_table)
                                  ).scalar_one() == 0  # fmt: skip


def test_a_user_no_longer_allowed_gets_an_empty_home_and_no_more_refreshes(
    shop: Engine, settings: Settings, serve: Callable[..., ServedBot], fake_slack: FakeSlack
) -> None:
    bot = serve(settings.database_url)
    bot.event(home_opened("U0LEAVER1"))
    published(fake_slack)
    assert published_run(shop, "U0LEAVER1")
    score(shop, bot.settings, as_of=AS_OF)
    narrowed = bot.settings.model_copy(update={"slack_allowed_users": "U0SOMEONE"})
    slack = digest_client(narrowed)
    assert refresh_homes(shop, narrowed, slack, now=datetime.now(UTC)) == 0
    _, empty = published(fake_slack, 2)
    assert empty["user_id"] == "U0LEAVER1"
    assert "not enabled for you" in all_text(empty["view"])
    assert "$" not in all_text(empty["view"])
    score(shop, bot.settings, as_of=AS_OF)
    assert refresh_homes(shop, narrowed, slack, now=datetime.now(UTC)) == 0
    assert len(fake_slack.named("/api/views.publish")) == 2  # forgotten: nothing more


def test_only_the_two_newest_runs_keep_their_chart_file(
    shop: Engine, settings: Settings, serve: Callable[..., ServedBot], fake_slack: FakeSlack
) -> None:
    bot = serve(settings.database_url)
    bot.event(home_opened())
    published(fake_slack)
    assert published_run(shop, USER)
    slack = digest_client(bot.settings)
    for _ in range(2):
        score(shop, bot.settings, as_of=AS_OF)
        assert refresh_homes(shop, bot.settings, slack, now=datetime.now(UTC)) == 1
    with shop.connect() as connection:
        kept = connection.execute(select(app_home_charts_table.c.run_id)).scalars().all()
    assert sorted(kept) == sorted(current_run_id(shop) - i for i in (0, 1))
    (deleted,) = fake_slack.named("/api/files.delete")
    uploads = fake_slack.named("/api/files.completeUploadExternal")
    assert json.loads(uploads[0].body["files"])[0]["id"] == deleted.body["file"]
