"""What comes in on `/slack/events`, checked before anything acts on it: size, signature, shape.

Pure helpers (bytes and headers in, a verdict out). The order is the point: the signature is
verified over the raw bytes first (https://api.slack.com/authentication/verifying-requests-from-slack:
`v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`, timestamp within five minutes), and only a
request Slack signed is decoded and parsed. Nothing here ever raises on hostile input.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

# Slack's own payloads are small: a button click carries its whole message (at most 50 blocks
# of 3,000 characters, about 150 kB); a megabyte leaves room and stops memory floods.
MAX_BODY_BYTES = 1_000_000
MAX_CLOCK_SKEW_SECONDS = 300
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


_JSON_KINDS = {list: "array", str: "string", int: "number", float: "number", bool: "boolean",
               type(None): "null"}  # fmt: skip


@dataclass(frozen=True)
class Rejection:
    """Why a request is refused: the HTTP status and a one-line reason for the log."""

    status: int
    reason: str


def signature_problem(
    secret: bytes, headers: Mapping[str, str], body: bytes, *, now: float
) -> Rejection | None:
    """None when Slack signed `body`; else a 401 saying what was wrong (never the body)."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not _TIMESTAMP.fullmatch(timestamp):
        return Rejection(401, "missing or malformed X-Slack-Request-Timestamp")
    if abs(now - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        return Rejection(401, "stale X-Slack-Request-Timestamp (more than 5 minutes off)")
    if not _SIGNATURE.fullmatch(signature):
        return Rejection(401, "missing or malformed X-Slack-Signature")
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return Rejection(401, "signature mismatch")
    return None


def parse_signed_body(body: bytes, content_type: str) -> dict[str, Any] | Rejection:
    """The body of a verified request as bolt will read it, or a 400 saying why it can't be.

    Mirrors `slack_bolt.request.internals.parse_body` (JSON when the content type says so or
    the body starts with `{`; else a form, whose `payload` field is JSON) so that what bolt
    parses next cannot fail.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejection(400, f"body is not UTF-8 (byte {exc.start + 1})")
    if not text:
        return Rejection(400, "empty body")
    if _is_json(text, content_type):
        return _json_object(text, "JSON body")
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" not in form:
        return form
    return _json_object(form["payload"], "payload")


def to_bolt_body(body: bytes, content_type: str) -> str:
    """A verified, parsable body as bolt should get it: parsing to what `parse_signed_body` read.

    Bolt reads any form body containing the word "payload" as an interactive payload, so
    `/clv payload@shop.example` would reach no listener; such a form is re-encoded with the
    `a` percent-escaped, which decodes to the same fields.
    """
    text = body.decode("utf-8")
    if "payload" not in text or _is_json(text, content_type):
        return text
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in form:
        return text
    return urlencode(form).replace("payload", "p%61yload")


def _is_json(text: str, content_type: str) -> bool:
    """How bolt decides (`extract_content_type` drops parameters such as `; charset=`)."""
    return content_type.split(";")[0] == "application/json" or text.startswith("{")


def _json_object(text: str, what: str) -> dict[str, Any] | Rejection:
    try:
        value = json.loads(text)
    except RecursionError:
        return Rejection(400, f"{what} is nested too deeply")
    except json.JSONDecodeError as exc:
        return Rejection(400, f"{what} is not JSON ({exc.msg} at character {exc.pos})")
    if not isinstance(value, dict):
        kind = _JSON_KINDS.get(type(value), type(value).__name__)
        return Rejection(400, f"{what} is a JSON {kind}, not an object")
    return value
