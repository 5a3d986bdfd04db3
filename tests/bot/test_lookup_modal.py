"""The "Look up a customer" modal's submission (issue 17): answered in the acknowledgement, with
`response_action: update` (the card in the modal) or `errors` (the input says what is wrong),
as https://api.slack.com/reference/interaction-payloads/views describes; SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine

from bot.sandbox.modals import MAX_BUTTON_TITLE, modal_problem, to_open_view
from bot.slack.render.lookup_modal import (
    CALLBACK_ID,
    INPUT_ACTION,
    INPUT_BLOCK,
    extract_lookup_key,
    render_lookup_modal,
)
from clv.settings import Settings
from tests.bot.fake_slack import FakeSlack
from tests.bot.limits import all_text, assert_within_limits
from tests.bot.served import BotUnderTest, Reply, ServedBot, view_submission
from tests.reports.conftest import build_small_shop


def submitted(view: dict[str, Any], typed: str | None, user: str = "U1") -> dict[str, Any]:
    """The view_submission of `view` with `typed` in its input, as Slack sends it."""
    payload = view_submission(view, user)
    field = {"type": "plain_text_input", "value": typed}
    payload["view"]["state"] = {"values": {INPUT_BLOCK: {INPUT_ACTION: field}}}
    return payload


def look_up(bot: BotUnderTest, typed: str | None, *, user: str = "U1") -> dict[str, Any]:
    """Submit the freshly opened modal with `typed`: the acknowledgement's JSON."""
    opened = to_open_view(render_lookup_modal(masked=True))  # as views.open answered it
    reply: Reply = bot.post(urlencode({"payload": json.dumps(submitted(opened, typed, user))}))
    assert reply.status == 200
    answer: dict[str, Any] = reply.json()
    return answer


def test_a_known_id_shows_the_card_in_the_modal(bot: BotUnderTest, fake_slack: FakeSlack) -> None:
    answer = look_up(bot, " 1 ")
    assert answer["response_action"] == "update"
    view = answer["view"]
    assert view["callback_id"] == CALLBACK_ID
    assert modal_problem(view) is None  # Slack would show it
    assert view["blocks"][0]["block_id"] == INPUT_BLOCK  # to look up the next one
    text = all_text(view)
    assert "J••• D•••" in text  # masked, as on the App Home (APP_HOME_PERSONAL_DATA=false)
    assert "j•••@e•••.com" in text
    assert "Jane" not in text
    assert "jane.doe" not in text
    assert "Predicted CLV" in text
    assert not [b for b in view["blocks"] if b["type"] == "actions"]  # no message to act on
    assert_within_limits({"text": "card", "blocks": view["blocks"][1:]})
    # answered in the acknowledgement: no Web API call but bolt's own auth.test
    assert [c.path for c in fake_slack.calls if c.path != "/api/auth.test"] == []


def test_an_email_in_any_case_finds_the_customer(bot: BotUnderTest) -> None:
    assert "J••• D•••" in all_text(look_up(bot, "Jane.Doe@Example.com")["view"])


def test_app_home_personal_data_shows_names_in_the_modal(
    serve: Callable[..., ServedBot], scored_sqlite: Path
) -> None:
    bot = serve(f"sqlite:///{scored_sqlite}", app_home_personal_data=True)
    text = all_text(look_up(bot, "1")["view"])
    assert "Jane Doe" in text
    assert "jane.doe@example.com" in text


def test_an_unknown_customer_is_an_input_error_naming_what_was_typed_and_who_is_close(
    bot: BotUnderTest,
) -> None:
    answer = look_up(bot, "jane.do@example.com")
    assert answer["response_action"] == "errors"
    (error,) = answer["errors"].values()
    assert list(answer["errors"]) == [INPUT_BLOCK]
    assert "'jane.do@example.com'" in error
    assert "no customer has this id or email address" in error
    assert "Did you mean jane.doe@example.com" in error
    assert len(error) <= 200


@pytest.mark.parametrize("typed", ["", "   ", None])
def test_nothing_typed_is_an_input_error(bot: BotUnderTest, typed: str | None) -> None:
    answer = look_up(bot, typed)
    assert answer == {"response_action": "errors",
                      "errors": {INPUT_BLOCK: "Type a customer id or email."}}  # fmt: skip


def test_a_customer_added_after_the_scores_is_known_but_not_scored(
    engine: Engine, settings: Settings, tmp_path: Path, serve: Callable[..., ServedBot]
) -> None:
    build_small_shop(engine, settings, tmp_path)
    from clv.ingest import import_customers
    from tests.helpers import write_csv

    rows = [["new-1", "new@example.com", "New Person"]]
    import_customers(engine, write_csv(tmp_path / "new.csv", ["customer_id", "email", "name"],
                                       rows), settings)  # fmt: skip
    bot = serve(settings.database_url)
    (error,) = look_up(bot, "new@example.com")["errors"].values()
    assert "known, but not scored yet" in error
    shown = look_up(bot, "buyer12@example.com")
    assert shown["response_action"] == "update"
    assert "B••• N•••" in all_text(shown["view"])


def test_a_store_that_does_not_answer_is_an_input_error_with_an_id(
    serve: Callable[..., ServedBot], tmp_path: Path
) -> None:
    bot = serve(f"sqlite:///{tmp_path / 'missing' / 'nothing.db'}")
    (error,) = look_up(bot, "1")["errors"].values()
    assert error.startswith("Sorry, the look-up failed (error id ")


def test_the_modal_keeps_to_slacks_modal_limits() -> None:
    view = render_lookup_modal(masked=True)
    assert modal_problem(view) is None
    for name in ("title", "submit", "close"):
        assert len(view[name]["text"]) <= MAX_BUTTON_TITLE
    assert extract_lookup_key({"view": {"state": "broken"}}) == ""
    assert extract_lookup_key(submitted(to_open_view(view), " 42\n")) == "42"
