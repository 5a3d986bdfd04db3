"""Faults the sandbox can inject into the bot's calls, named as Slack's docs name them.

A test arms a fault for a Web API method (`"chat.postMessage"`), for response_url posts
(`RESPONSE_URL`) or for file uploads (`UPLOAD`); the next `times` calls of it get the fault,
in the order the faults were armed, and later calls are answered as usual.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Literal

RESPONSE_URL = "response_url"  # every POST to a /respond/<token> URL
UPLOAD = "upload"  # every POST to a /upload/<file id> URL (files_upload_v2's second step)


@dataclass(frozen=True)
class Fault:
    """What the sandbox answers instead of the call's own answer."""

    status: int = 200
    error: str | None = None  # None: the call's own answer, only late (see `delay`)
    retry_after: int | None = None  # seconds, sent as the Retry-After header
    carried_out: bool = False  # the call takes effect although the answer says it failed
    delay: float = 0.0  # seconds to wait before answering

    @property
    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


class Faults:
    """Armed faults per method; thread-safe (tests arm them while the bot's calls arrive)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[str, deque[Fault]] = {}

    def _arm(self, method: str, fault: Fault, times: int) -> None:
        if times < 1:
            raise ValueError(f"times must be at least 1, not {times}")
        with self._lock:
            self._armed.setdefault(method, deque()).extend([fault] * times)

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """HTTP 429 Too Many Requests with a Retry-After header (seconds), not carried out.

        "If you go over these limits ... Slack will start returning a HTTP 429 Too Many
        Requests error ... and a Retry-After header containing the number of seconds until
        you can retry" (https://api.slack.com/apis/rate-limits; the same holds for incoming
        webhooks and so for response URLs). The body is `{"ok": false, "error": "ratelimited"}`.
        """
        self._arm(method, Fault(429, "ratelimited", retry_after=retry_after), times)

    def server_error(
        self,
        method: str,
        times: int = 1,
        status: Literal[500, 502, 503, 504] = 500,
        *,
        carried_out: bool = False,
    ) -> None:
        """An HTTP 5xx answer. `carried_out=True`: the call took effect (a message was posted)
        but its answer was lost on the way, which a client cannot tell from a call that failed."""
        error = "service_unavailable" if status == 503 else "internal_error"
        self._arm(method, Fault(status, error, carried_out=carried_out), times)

    def fail(self, method: str, error: str, times: int = 1) -> None:
        """HTTP 200 with `{"ok": false, "error": error}`, not carried out, as Slack refuses a
        call (`channel_not_found`, `missing_scope`, ...)."""
        self._arm(method, Fault(200, error), times)

    def delay(self, method: str, seconds: float, times: int = 1) -> None:
        """Answer only after `seconds` (for client timeouts). The call is carried out after
        the wait, whether or not the client is still waiting, as a slow Slack's would be."""
        self._arm(method, Fault(delay=seconds), times)

    def take(self, method: str) -> Fault | None:
        """The next armed fault of `method`, used up; None when none is armed."""
        with self._lock:
            armed = self._armed.get(method)
            return armed.popleft() if armed else None

    def pending(self, method: str) -> int:
        """How many calls of `method` still get a fault."""
        with self._lock:
            return len(self._armed.get(method, ()))

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()
