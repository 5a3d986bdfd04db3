"""Request-layer fuzzing of `/slack/events` (issue 11's fault suite).

Hypothesis draws headers (signature right, wrong, missing or malformed; timestamps current,
stale, future or garbage; content types), bodies (slash commands and button clicks with
hostile text, arbitrary forms, arbitrary JSON, raw bytes in any encoding, deep nesting) and
signs some correctly. Only correctly signed, well-formed requests are ever acted on: every
other one gets a 4xx, nothing is ever a 5xx, and no unverified request makes the bot call
out (the fake Web API and the response-URL receiver record every call).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.slack.render.customer import ACTION_SHARE, ACTION_WHY
from clv.present.outreach import OUTREACH_ACTION
from tests.bot.fake_slack import FakeSlack
from tests.bot.served import SECRET, ServedBot, block_action, command_body
from tests.faults import tally

pytestmark = pytest.mark.faults
GROUP = "/slack/events fuzzing"
verified_shares: list[int] = []
FORM = "application/x-www-form-urlencoded"

hostile_text = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]) | st.sampled_from("<>&|*_~`\0\n\r"),
    max_size=60,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=20,
)


@st.composite
def bodies(draw: st.DrawFn, response_url: str) -> tuple[str, bytes, str]:
    """(kind, body, content type). Kinds "command" and "click" are what Slack sends."""
    kind = draw(st.sampled_from(["command", "click", "form", "json", "bytes", "deep"]))
    if kind == "command":
        text = draw(hostile_text | st.sampled_from(["1", "help", "top 5", "dormant", "model"]))
        return kind, command_body(text, response_url).encode(), FORM
    if kind == "click":
        action = draw(st.sampled_from([OUTREACH_ACTION, ACTION_WHY, ACTION_SHARE, "other"]))
        value = draw(hostile_text | json_values.map(json.dumps))
        payload = block_action(action, value, response_url)
        payload["container"]["is_ephemeral"] = True  # replies go to the response URL only
        return kind, urlencode({"payload": json.dumps(payload)}).encode(), FORM
    if kind == "form":
        fields = draw(st.dictionaries(hostile_text, hostile_text, max_size=5))
        return kind, urlencode(fields).encode(), draw(st.sampled_from([FORM, "", "text/plain"]))
    if kind == "json":
        content_type = draw(st.sampled_from(["application/json", FORM, "application/json; x"]))
        return kind, json.dumps(draw(json_values)).encode(), content_type
    if kind == "bytes":
        return kind, draw(st.binary(max_size=300)), draw(st.sampled_from([FORM, "", "x/y"]))
    depth = draw(st.integers(min_value=500, max_value=200_000))
    return kind, draw(st.sampled_from([b"[", b'{"a":', b"payload=["])) * depth, FORM


def header_text(size: int) -> st.SearchStrategy[str]:
    """What an HTTP client can put in a header (no line breaks)."""
    return st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=size)


@st.composite
def signing(draw: st.DrawFn) -> tuple[str, str | None, str | None]:
    """(how, timestamp header, signature header); only "valid" is Slack's own signature."""
    how = draw(st.sampled_from(["valid", "valid", "wrong secret", "missing", "garbage",
                                "stale", "future", "tampered"]))  # fmt: skip
    now = int(time.time())
    if how == "stale":
        return how, str(now - draw(st.integers(301, 10**9))), None
    if how == "future":  # 30 s beyond the window: the server reads its clock after this one
        return how, str(now + draw(st.integers(330, 10**9))), None
    if how == "garbage":
        ts = draw(header_text(20) | st.just("1.7e9") | st.just("-1") | st.just("١٧٠٠"))
        return how, ts, draw(header_text(80) | st.just("v0=") | st.just("v0=" + "g" * 64))
    if how == "missing":
        return how, draw(st.none() | st.just(str(now))), None
    return how, str(now), None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def headers_for(how: str, ts: str | None, sig: str | None, body: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    if ts is not None:
        headers["x-slack-request-timestamp"] = ts
    if how in ("valid", "tampered", "stale", "future"):
        sig = sign(SECRET, ts or "", body)
    elif how == "wrong secret":
        sig = sign("not-" + SECRET, ts or "", body)
    if sig is not None:
        headers["x-slack-signature"] = sig
    return headers


def classify(how: str, kind: str, status: int, *, unknown_action: bool) -> str:
    """The table's outcome for one request."""
    if status >= 500:
        return "crashed"
    if how != "valid":  # 400: the HTTP server refused header bytes no client may send
        return "rejected cleanly" if status in (400, 401, 413) else "wrong"
    if kind == "command" or (kind == "click" and unknown_action is False):
        return "handled" if status == 200 else "wrong"
    if kind == "click":  # an action that is not ours: bolt's 404, nothing done
        return "handled" if status == 404 else "wrong"
    return "rejected cleanly" if status in (400, 413) else "handled"


@pytest.fixture
def watched_slack(fake_slack: FakeSlack) -> Iterator[FakeSlack]:
    """The fake Slack, checked after the fuzzing: nothing went to a forged request's response
    URL, and the only Web API calls are the start-up auth.test and the cards that verified
    Share clicks post in their channel."""
    verified_shares.clear()
    yield fake_slack
    time.sleep(0.5)  # let lazy listeners of the last requests finish
    forged = [c.path for c in fake_slack.calls if c.path.startswith("/respond/forged")]
    web_api = [c.path for c in fake_slack.calls if c.path.startswith("/api/")]
    assert forged == []
    assert set(web_api) <= {"/api/auth.test", "/api/chat.postMessage"}, web_api
    assert web_api.count("/api/chat.postMessage") <= len(verified_shares)


@settings(
    max_examples=600,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_only_signed_well_formed_requests_are_acted_on(
    watched_slack: FakeSlack, served_bot: ServedBot, data: Any
) -> None:
    fake_slack = watched_slack
    how, ts, sig = data.draw(signing())
    tag = "ok" if how == "valid" else "forged"
    kind, body, content_type = data.draw(bodies(fake_slack.response_url(tag)))
    headers = headers_for(how, ts, sig, body)
    if how == "tampered":
        body += b"&x=1"
    if content_type:
        headers["content-type"] = content_type
    reply = served_bot.post_raw(body, headers)
    if how == "valid" and kind == "click" and ACTION_SHARE.encode() in body:
        verified_shares.append(reply.status)  # may post the card in its channel: allowed
    outcome = classify(how, kind, reply.status, unknown_action=b"%22other%22" in body)
    tally.record(GROUP, outcome)
    assert outcome not in ("wrong", "crashed"), (how, kind, reply.status, reply.body[:200])
    assert "Traceback" not in reply.body
