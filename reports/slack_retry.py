"""Slack's rate limits, one way for every Web API client clvbot builds (the bot's, the
digest's and alerts', response URLs).

A 429 means Slack did not carry the call out; it is retried after `Retry-After`, at most
`MAX_RATE_LIMIT_RETRIES` times (https://api.slack.com/apis/rate-limits), and each wait is
logged with the method, so a channel that keeps hitting its limit shows in the log. Nothing
here retries a server error: a write answered 5xx may have been carried out.
"""

from __future__ import annotations

import logging

from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

log = logging.getLogger("clvbot.slack")
MAX_RATE_LIMIT_RETRIES = 2


def method_of(request: HttpRequest) -> str:
    """`.../api/chat.postMessage?x=1` -> 'chat.postMessage' (a response URL: 'response_url')."""
    path = request.url.split("?", 1)[0].rstrip("/")
    return path.rsplit("/", 1)[-1] if "/api/" in path else "response_url"


class LoggedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack_sdk's 429 retry (it waits Retry-After), with a log line for each wait."""

    def __init__(self, max_retry_count: int = MAX_RATE_LIMIT_RETRIES) -> None:
        super().__init__(max_retry_count=max_retry_count)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is not None:
            wait = next((v[0] for k, v in response.headers.items() if k.lower() == "retry-after"),
                        "1")  # fmt: skip
            log.warning("Slack rate-limited %s: retrying in %s s (retry %d of %d)",
                        method_of(request), wait, state.current_attempt + 1,
                        self.max_retry_count)  # fmt: skip
        super().prepare_for_next_attempt(state=state, request=request, response=response,
                                         error=error)  # fmt: skip
