"""Faults 1-3 and 15 of issue 11: forged, malformed and hostile requests to `/slack/events`.

Nothing from a request Slack did not sign is acted on or answered except with a 401; a
signed body that cannot be read is a 400; nothing is ever a 500 or a traceback; a rejected
body is never logged, and no log line can be forged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bot.logs import OneLineFormatter
from bot.slack.payloads import to_clv_request
from clv.present.outreach import OUTREACH_ACTION, extract_outreach_request
from tests.bot.fake_slack import FakeSlack
from tests.bot.limits import all_text
from tests.bot.served import SECRET, ServedBot, command_body, post_answer
from tests.faults import tally
from tests.faults.served_process import ServeProcess

pytestmark = pytest.mark.faults
FORM = "application/x-www-form-urlencoded"


def outbound(fake: FakeSlack) -> list[str]:
    """What the bot sent to Slack after starting (its auth.test at start is not a reply)."""
    return [call.path for call in fake.calls if call.path != "/api/auth.test"]


def post_oversized(url: str, headers: dict[str, str], *, declared: bool) -> int:
    """The status of a 5 MB POST, declared in Content-Length or streamed in chunks."""
    body = b"text=" + b"A" * 5_000_000
    if declared:
        return post_answer(url, body, headers).status
    chunks = (body[i : i + 65_536] for i in range(0, len(body), 65_536))
    return post_answer(url, chunks, headers).status


def signed_headers(body: bytes, content_type: str = FORM) -> dict[str, str]:
    """Headers Slack would send for `body`: signed over the raw bytes, whatever they are."""
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    signature = "v0=" + digest.hexdigest()
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": ts,
        "x-slack-signature": signature,
    }


@pytest.mark.parametrize("timestamp", ["abc", "", "1.7e9", "1700000000.5", " 1700000000", "¹²³"])
def test_an_unverifiable_request_never_reaches_its_response_url(
    served_bot: ServedBot, fake_slack: FakeSlack, timestamp: str
) -> None:
    """Fault 1: a malformed timestamp made verification raise, and the last-resort handler
    answered the attacker's response_url with a 200."""
    body = command_body("1", fake_slack.response_url("attacker")).encode()
    headers = {"content-type": FORM, "x-slack-request-timestamp": timestamp,
               "x-slack-signature": "v0=" + "0" * 64}  # fmt: skip
    status = served_bot.post_raw(body, headers).status
    tally.record("forged timestamps", "rejected cleanly" if status == 401 else "wrong")
    assert status == 401
    time.sleep(0.3)  # a lazy listener, if one had been started, would have answered by now
    assert outbound(fake_slack) == []


MALFORMED = {
    "not UTF-8": (b"\xff", FORM),
    "payload not JSON": (b"payload=%7Bnot-json", FORM),
    "payload a list": (b"payload=%5B%5D", FORM),
    "payload a string": (b"payload=%22x%22", FORM),
    "JSON list": (b"[]", "application/json"),
    "JSON null": (b"null", "application/json"),
    "JSON string": (b'"x"', "application/json"),
    "JSON cut short": (b"{", "application/json"),
    "deep nesting": (b"[" * 100_000, "application/json"),
    "deep object": (b'{"a":' * 100_000, FORM),
    "empty": (b"", FORM),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_bodies_get_401_unsigned_and_400_signed_never_500(
    served_bot: ServedBot, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    """Fault 2: these gave 500 and a ~50-line traceback, signed or not."""
    body, content_type = MALFORMED[case]
    caplog.set_level(logging.INFO)
    unsigned = served_bot.post_raw(body, {"content-type": content_type})
    signed = served_bot.post_raw(body, signed_headers(body, content_type))
    for reply, expected in ((unsigned, 401), (signed, 400)):
        crashed = reply.status >= 500
        tally.record("malformed bodies", "crashed" if crashed else
                     "rejected cleanly" if reply.status == expected else "wrong")  # fmt: skip
    assert (unsigned.status, signed.status) == (401, 400)
    assert "Traceback" not in caplog.text
    refusals = [r for r in caplog.records if r.getMessage().startswith("refused a request")]
    assert len(refusals) == 2
    assert all("\n" not in r.getMessage() for r in refusals)
    assert outbound(fake_slack) == []


def test_a_body_over_a_megabyte_is_refused_with_413_and_never_logged(
    served_bot: ServedBot, caplog: pytest.LogCaptureFixture
) -> None:
    """Fault 3: two forged 5 MB requests grew the log by 10.5 MB."""
    caplog.set_level(logging.DEBUG)
    url = f"{served_bot.url}/slack/events"
    assert post_oversized(url, {"content-type": FORM}, declared=True) == 413
    assert post_oversized(url, {"content-type": FORM}, declared=False) == 413
    assert len(caplog.text) < 2_000
    marker = b"text=FORGED-LOG-LINE\n2026-12-01 INFO clvbot.outreach sent"
    assert served_bot.post_raw(marker, {"content-type": FORM}).status == 401
    assert "FORGED" not in caplog.text


def test_no_log_line_can_be_forged_through_a_message_or_a_traceback() -> None:
    """Fault 3: a newline in logged data wrote a fake `... INFO clvbot.outreach ...` line."""
    formatter = OneLineFormatter("%(levelname)s %(name)s %(message)s")
    forged = "x\n2026-12-01 19:00:00 INFO clvbot.outreach FORGED-LOG-LINE\r\u2028y"
    try:
        raise ValueError(forged)
    except ValueError as exc:
        failure = (type(exc), exc, exc.__traceback__)
        record = logging.LogRecord(
            "clvbot.slack", logging.ERROR, __file__, 1, "failed on %s", (forged,), failure
        )
    lines = formatter.format(record).split("\n")
    assert lines[0].startswith("ERROR clvbot.slack failed on x\\n2026-12-01")
    assert all(line.startswith("  | ") for line in lines[1:])
    assert not any(line.startswith("2026") for line in lines)


def test_control_characters_are_stripped_and_slack_entities_unescaped() -> None:
    """Fault 15: NUL and controls were echoed into mrkdwn (SQLite) or raised a DataError
    (PostgreSQL); `&lt;` `&gt;` `&amp;` were never turned back, so such ids could not be found."""
    assert to_clv_request("4821\x00\x07").argument == "4821"
    assert to_clv_request("top\t5").limit == 5
    assert to_clv_request("a&amp;b&lt;c&gt;").argument == "a&b<c>"
    assert to_clv_request("&amp;lt;").argument == "&lt;"  # unescaped once, not twice
    assert to_clv_request("<mailto:Jane@x.example|Jane@x.example>").argument == "Jane@x.example"


@pytest.mark.parametrize("customer", [10**30, 2**63, 0, -1, True, "7", 1.5])
def test_an_out_of_range_button_value_is_not_one_of_ours(customer: object) -> None:
    """Fault 15: a value of 10**30 or 2**63 logged an OverflowError traceback."""
    value = json.dumps({"customer": customer, "source": "x"})
    assert extract_outreach_request(value) is None
    assert extract_outreach_request(json.dumps({"customer": 2**63 - 1})) == (2**63 - 1, "")


@pytest.mark.parametrize("customer", [10**30, 2**63])
def test_an_out_of_range_button_click_gets_a_notice_and_no_traceback(
    served_bot: ServedBot, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture, customer: int
) -> None:
    value = json.dumps({"customer": customer, "source": "card"})
    assert served_bot.click(OUTREACH_ACTION, value, tag="big").status == 200
    (call,) = fake_slack.wait_for("/respond/big")
    assert "not one of mine" in all_text(call.body)
    assert "Traceback" not in caplog.text


def test_a_customer_id_with_markup_characters_is_found_and_shown_escaped_once(
    served_bot: ServedBot,
) -> None:
    """Slack sends `/clv <2>` as `&lt;2&gt;`: the id is looked up as typed, `<2>`."""
    reply = served_bot.post(command_body("&lt;2&gt;", "http://127.0.0.1:9/r"))
    text = all_text(reply.json())
    assert "&amp;lt;" not in text
    assert "`&lt;2&gt;`" in text  # unknown customer <2>, shown escaped exactly once


def test_a_signed_form_with_unknown_fields_is_still_answered(served_bot: ServedBot) -> None:
    body = urlencode({"command": "/clv", "text": "help", "user_id": "U1", "channel_id": "C1",
                      "response_url": "http://127.0.0.1:9/r", "extra\x00": "\x00"})  # fmt: skip
    reply = served_bot.post(body)
    assert reply.status == 200


def test_clvbot_serve_logs_one_line_per_refusal_without_the_body(
    serve_process: Callable[..., ServeProcess], scored_sqlite: Path
) -> None:
    """Fault 3 end to end: the real `clvbot serve` log after forged 5 MB requests, a forged
    log line in a body, and a flood of forged requests."""
    served = serve_process(f"sqlite:///{scored_sqlite}")
    before = served.log.stat().st_size
    url = f"{served.url}/slack/events"
    for declared in (True, False):
        assert post_oversized(url, {"content-type": FORM}, declared=declared) == 413
    forged = b"text=x\n2026-12-01 19:00:00,000 INFO clvbot.outreach FORGED-LOG-LINE"
    for _ in range(200):
        assert served.post_raw(forged, {"content-type": FORM}).status == 401
    assert served.command("help").status == 200
    served.stop()
    grown = served.log.read_bytes()[before:].decode()
    assert len(grown) < 5_000, grown[:500]
    assert "FORGED" not in grown
    assert "AAAA" not in grown
    lines = grown.splitlines()
    assert all(line[:2] == "20" for line in lines), lines  # every line is a record of its own
    assert sum("refused a request" in line for line in lines) == 20  # then summarised


def test_a_command_mentioning_payload_reaches_the_listener(served_bot: ServedBot) -> None:
    """Bolt reads any form containing "payload" as a button payload: `/clv payload@shop.example`
    reached no listener (404) until the verified body was re-encoded for it."""
    reply = served_bot.command("payload@shop.example")
    assert reply.status == 200
    assert "payload@shop.example" in all_text(reply.json())
