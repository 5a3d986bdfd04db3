"""The `webhook` backend: a signed JSON event POSTed to the shop's own system.

The body is signed with HMAC-SHA256 under `OUTREACH_WEBHOOK_SECRET` (header
`X-Clvbot-Signature: sha256=<hex of the exact body>`), and `Idempotency-Key` is the outreach id,
the same on every retry, so the receiver can drop a duplicate. Connection errors, timeouts, 5xx
and 429 are retried with exponential backoff; any other 4xx is final.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from clv.outreach.compose import render_email
from clv.outreach.message import OutreachMessage, OutreachSendError

EVENT_TYPE = "clvbot.outreach.requested"
MAX_BACKOFF_SECONDS = 30.0


def webhook_event(message: OutreachMessage) -> dict[str, Any]:
    """The JSON event for `message`: what the store knows, and the email clvbot would send."""
    return {
        "type": EVENT_TYPE,
        "outreach_id": message.outreach_id,
        "customer": {
            "id": message.customer_key,
            "email": message.email,
            "name": message.name,
            "last_order_on": message.last_order_on.isoformat() if message.last_order_on else None,
            "days_since_last_order": message.days_since_last_order,
            "unsubscribe_url": message.unsubscribe_url,
        },
        "requested_by": message.requested_by,
        "source": message.source,
        "requested_at": message.requested_at.isoformat(),
        "shop_name": message.shop_name,
        "message": _message_part(message),
    }


def _message_part(message: OutreachMessage) -> dict[str, Any]:
    """The email as clvbot would write it (what the Slack modal showed), for a shop system that
    sends its own: template, subject and text, the offer code and the shop link with UTM."""
    rendered = render_email(message)
    return {
        "template": message.template,
        "subject": rendered.subject,
        "text": rendered.text,
        "offer_code": message.offer_code,
        "shop_link": message.shop_url,
        "tier": message.tier,
        "segment": message.segment,
    }


def sign(body: bytes, secret: str) -> str:
    """The `X-Clvbot-Signature` value of `body`: `sha256=<hex HMAC-SHA256>`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class WebhookBackend:
    """POSTs the signed event; retries what may succeed later, stops on what will not."""

    name = "webhook"
    needs_email = False

    def __init__(
        self,
        *,
        url: str,
        secret: str,
        timeout: float = 5.0,
        retries: int = 3,
        backoff_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url, self._secret = url, secret
        self.timeout, self.retries = timeout, retries
        self.backoff_seconds, self._sleep = backoff_seconds, sleep

    def __repr__(self) -> str:  # never the secret; the URL may hold a token, so not it either
        return f"WebhookBackend(timeout={self.timeout}, retries={self.retries})"

    def send(self, message: OutreachMessage) -> str:
        body = json.dumps(webhook_event(message), separators=(",", ":")).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "clvbot-outreach",
            "X-Clvbot-Signature": sign(body, self._secret),
            "Idempotency-Key": str(message.outreach_id),
        }
        post_with_retries(self.url, body, headers, timeout=self.timeout, retries=self.retries,
                          backoff_seconds=self.backoff_seconds, sleep=self._sleep)  # fmt: skip
        return f"webhook:{message.outreach_id}"


def post_with_retries(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    retries: int,
    backoff_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    what: str = "event",
) -> None:
    """POST `body` with `headers` (the same on every attempt): connection errors, timeouts, 5xx
    and 429 are retried with exponential backoff, any other 4xx is final. Raises
    OutreachSendError, whose message names neither the URL nor a secret."""
    problem = ""
    for attempt in range(retries + 1):
        if attempt:
            sleep(min(backoff_seconds * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS))
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
                return
        except urllib.error.HTTPError as exc:
            if exc.code != 429 and exc.code < 500:
                raise OutreachSendError(f"webhook refused the {what}: HTTP {exc.code}") from exc
            problem = f"HTTP {exc.code}"
        except TimeoutError:
            problem = f"no answer within {timeout:g} s"
        except (urllib.error.URLError, OSError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            if isinstance(reason, TimeoutError):
                problem = f"no answer within {timeout:g} s"
            else:
                problem = f"connection failed ({type(reason).__name__})"
    attempts = retries + 1
    tries = "attempt" if attempts == 1 else "attempts"
    raise OutreachSendError(f"webhook failed after {attempts} {tries}: {problem}")
