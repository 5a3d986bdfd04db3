"""Pure helpers: payload parsing, masking, escaping, clipping and the message limits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack.access import is_allowed
from bot.slack.payloads import (
    ClvRequest,
    extract_action_value,
    extract_channel_id,
    extract_user_id,
    is_block_action,
    is_command,
    is_slack_id,
    to_clv_request,
)
from bot.slack.render.customer import to_clv_cac
from clv.present.blocks import clip, escape, line_sections, section, to_message
from clv.present.privacy import to_masked_email, to_masked_key, to_masked_name
from clv.settings import Settings
from tests.bot.limits import assert_within_limits
from tests.bot.served import block_action


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ClvRequest("help")),
        ("help", ClvRequest("help")),
        ("4821", ClvRequest("customer", "4821")),
        ("<mailto:jo@x.com|jo@x.com>", ClvRequest("customer", "jo@x.com")),
        ("segment can't lose them", ClvRequest("segment", "can't lose them")),
        ("segment", ClvRequest("unknown", "segment")),
        ("segments", ClvRequest("segments", "segment")),
        ("segments tier", ClvRequest("segments", "tier")),
        ("dormant", ClvRequest("dormant")),
        ("dormant 25", ClvRequest("dormant", limit=25)),
        ("top 9999", ClvRequest("top", limit=9999)),  # the list caps it, and says so
        ("top lots", ClvRequest("bad_limit", "top lots")),
        ("top 0", ClvRequest("bad_limit", "top 0")),
        ("Model", ClvRequest("model")),
        ("who is the best", ClvRequest("unknown", "who is the best")),
    ],
)
def test_to_clv_request(text: str, expected: ClvRequest) -> None:
    assert to_clv_request(text) == expected


def test_extractors() -> None:
    click = block_action("clv_why", "42", "http://x/respond", user="U9", channel="C9")
    assert is_block_action(click)
    assert not is_command(click)
    assert (extract_user_id(click), extract_channel_id(click)) == ("U9", "C9")
    assert extract_action_value(click) == "42"
    command = {"command": "/clv", "user_id": "U1", "channel_id": "D1", "text": "1"}
    assert is_command(command)
    assert (extract_user_id(command), extract_channel_id(command)) == ("U1", "D1")
    assert is_slack_id("C0123ABC")
    assert not is_slack_id("<!channel>")
    assert not is_slack_id(None)


def test_masking() -> None:
    assert to_masked_name("Jane Doe") == "J••• D•••"
    assert to_masked_email("jane.doe@example.com") == "j•••@e•••.com"
    assert to_masked_email("x@localhost") == "x•••@l•••"
    assert to_masked_key("4821") == "4821"
    assert to_masked_key("jane@shop.io") == "j•••@s•••.io"
    assert to_masked_name(None) is None


def test_clv_cac_in_plain_language() -> None:
    assert to_clv_cac(None) is None
    assert "losing money" in (to_clv_cac(0.5) or "")
    assert "healthy" in (to_clv_cac(3.0) or "")
    assert "below target" in (to_clv_cac(2.0) or "")
    assert "healthy" in (to_clv_cac(4.5, target=4.0) or "")
    assert "below target" in (to_clv_cac(4.5, target=5.0) or "")


def test_access_lists() -> None:
    everyone = Settings(_env_file=None)  # type: ignore[call-arg]
    assert is_allowed(everyone, "U1", "C1")
    some = Settings(_env_file=None, slack_allowed_users="U1,U2", slack_allowed_channels="C1")  # type: ignore[call-arg]
    assert is_allowed(some, "U2", "C1")
    assert not is_allowed(some, "U3", "C1")
    assert not is_allowed(some, "U1", "C2")


def test_escape_and_clip() -> None:
    assert escape("<!channel> & <https://x|y>") == "&lt;!channel&gt; &amp; &lt;https://x|y&gt;"
    assert clip("abcdef", 4) == "abc…"
    assert clip("ab&amp;cd", 5) == "ab…"  # never half an entity


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(st.text(min_size=0, max_size=400), min_size=0, max_size=600),
    title=st.text(max_size=500),
)
def test_any_data_fits_slacks_limits(names: list[str], title: str) -> None:
    """Long names, 500-row lists, markup in the data: the message stays within every limit."""
    lines = [f"{i}. {escape(n)}" for i, n in enumerate(names)]
    blocks = [section(escape(title)), *line_sections(lines)]
    message = to_message(escape(title) or "list", blocks)
    assert_within_limits(message)
    for block in message["blocks"]:
        text = block.get("text", {}).get("text", "")
        assert "<" not in text.replace("&lt;", "")
