"""The one Web API client: SLACK_BOT_TOKEN, SLACK_API_URL, retries on 429 and on 5xx for reads.

A 429 means Slack did not carry the call out, so it is retried after `Retry-After`
(https://api.slack.com/apis/rate-limits). A 500 or 503 says nothing about whether a write took
effect: a `chat.postMessage` answered 5xx may have posted, and repeating it blind posts the
card twice (the sandbox's fault tests showed it). So only reads are retried on a server error;
a write that gets one fails, and the user is told so with an error id (the digest's client
likewise checks the channel before it posts again).
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from clv.settings import Settings
from reports.slack_retry import LoggedRateLimitRetryHandler

TIMEOUT_SECONDS = 10
# the last part of a Web API method's name when calling it changes nothing
READ_VERBS = frozenset({"test", "info", "list", "history", "replies", "members"})


def is_read(request: HttpRequest) -> bool:
    """`.../api/conversations.history` -> True; `.../api/chat.postMessage` -> False."""
    method = request.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return method.rsplit(".", 1)[-1] in READ_VERBS


class ReadServerErrorRetryHandler(ServerErrorRetryHandler):
    """slack_sdk's 500/503 retry, for reads only."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return is_read(request) and super()._can_retry(
            state=state, request=request, response=response, error=error
        )


def build_client(settings: Settings) -> WebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    base_url = settings.slack_api_url.rstrip("/") + "/"
    client = WebClient(token=token, base_url=base_url, timeout=TIMEOUT_SECONDS)
    client.retry_handlers.append(LoggedRateLimitRetryHandler())
    client.retry_handlers.append(ReadServerErrorRetryHandler(max_retry_count=2))
    return client
