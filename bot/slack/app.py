"""The bolt App: one Web API client, request signing, the listeners and a last-resort handler."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.slack.client import build_client
from bot.slack.deps import Deps
from bot.slack.errors import log_failure
from bot.slack.listeners import VERIFIED, register_listeners
from bot.slack.render import render_apology

log = logging.getLogger("clvbot.slack")


def build_app(deps: Deps, client: WebClient | None = None) -> App:
    secret = deps.settings.slack_signing_secret
    app = App(
        client=client or build_client(deps.settings),
        signing_secret=secret.get_secret_value() if secret else None,
        # bot.slack.server verifies every request over its raw bytes before bolt sees it
        # (and may re-encode the body, see to_bolt_body); Socket Mode needs no signature
        request_verification_enabled=False,
        logger=log,
        # run the (fast) ack listeners in the request thread: otherwise bolt polls for the ack
        # every 10 ms from another thread; slow work still goes to lazy listeners' threads
        process_before_response=True,
    )
    register_listeners(app, deps)
    app.error(_last_resort)
    return app


def _last_resort(
    error: Exception, body: dict[str, Any], context: dict[str, Any], respond: Any
) -> BoltResponse:
    """A failure no listener caught: log it under an id, tell the user the id, never a trace.

    Only a request that passed bolt's signature check (and so reached our first middleware)
    is answered: an unverified one gets a 401 and nothing is sent to its response_url.
    """
    if not context.get(VERIFIED):
        log.warning("refused an unverified request that failed in bolt: %s", type(error).__name__)
        return BoltResponse(status=401, body="")
    error_id = log_failure(log, error, "handling a Slack request")
    message = render_apology(error_id)
    if body.get("response_url"):
        try:
            respond(**message, replace_original=False)
        except Exception as exc:  # the apology itself failed: the log has both
            log_failure(log, exc, f"sending the apology for {error_id}")
    return BoltResponse(status=200, body="")
