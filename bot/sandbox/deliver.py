"""Sending a signed request to the bot's `/slack/events`, with Slack's 3-second patience."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from dataclasses import dataclass

from bot.sandbox.signing import FORM, signed_headers


@dataclass(frozen=True)
class Delivery:
    status: int  # 0 when no HTTP answer came
    body: str
    content_type: str
    error: str | None  # Slack's words for a failure: operation_timeout, http_error_401, ...


def deliver(
    url: str, secret: str, body: str, *, timeout: float = 3.0, content_type: str = FORM
) -> Delivery:
    """POST `body` signed with `secret`; blocking, so call it from a worker thread."""
    headers = signed_headers(secret, body, content_type=content_type)
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            ctype = response.headers.get("content-type", "")
            return Delivery(response.status, response.read().decode(), ctype, None)
    except urllib.error.HTTPError as exc:
        ctype = exc.headers.get("content-type", "")
        return Delivery(exc.code, exc.read().decode(), ctype, f"http_error_{exc.code}")
    except TimeoutError:
        return Delivery(0, "", "", "operation_timeout")
    except urllib.error.URLError as exc:
        timed_out = isinstance(exc.reason, TimeoutError | socket.timeout)
        return Delivery(0, "", "", "operation_timeout" if timed_out else "dispatch_failed")
