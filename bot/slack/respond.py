"""`respond()` through a response_url, retried on a rate limit and logged when it fails.

bolt's own `respond` sends once and returns Slack's answer unread: a 429 or a 5xx on a
response_url left the user without an answer and nothing in the log (the sandbox's fault
tests showed it). This one waits out a 429 as `Retry-After` says (response URLs are rate
limited like incoming webhooks: https://api.slack.com/apis/rate-limits) and logs any other
failure without the URL, which is a credential. A 5xx is not repeated: the message may have
been posted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt.context.respond import Respond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.models.attachments import Attachment
from slack_sdk.models.blocks import Block
from slack_sdk.webhook import WebhookClient, WebhookResponse

from bot.slack.client import TIMEOUT_SECONDS
from reports.slack_retry import LoggedRateLimitRetryHandler

log = logging.getLogger("clvbot.slack")


class ReliableRespond(Respond):
    def __call__(  # the signature of bolt's Respond.__call__
        self,
        text: str | dict[str, Any] = "",
        blocks: Sequence[dict[str, Any] | Block] | None = None,
        attachments: Sequence[dict[str, Any] | Attachment] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WebhookResponse:
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        if isinstance(text, dict):
            message = _build_message(**text)
        else:
            message = _build_message(
                text=text,
                blocks=blocks,
                attachments=attachments,
                response_type=response_type,
                replace_original=replace_original,
                delete_original=delete_original,
                unfurl_links=unfurl_links,
                unfurl_media=unfurl_media,
                thread_ts=thread_ts,
                metadata=metadata,
            )
        retry = LoggedRateLimitRetryHandler()
        client = WebhookClient(
            url=self.response_url,
            timeout=TIMEOUT_SECONDS,
            proxy=self.proxy,
            ssl=self.ssl,
            retry_handlers=[retry],
        )
        answer = client.send_dict(message)
        if answer.status_code != 200:
            log.warning("a response_url answered %s (%s): the user did not get this answer",
                        answer.status_code, str(answer.body)[:200])  # fmt: skip
        return answer


def reliable_respond(context: dict[str, Any], next: Callable[[], None]) -> None:
    """Middleware: listeners' `respond` is a `ReliableRespond` for the request's response_url."""
    if context.get("response_url"):
        context["respond"] = ReliableRespond(response_url=context["response_url"])
    next()
