"""`/clv export …`: the list as a CSV, uploaded in a direct message to an authorised user."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.slack.deps import Deps
from bot.slack.payloads import ClvRequest
from bot.slack.render import render_notice


def export_ack(deps: Deps, user: str, request: ClvRequest) -> dict[str, Any]:
    return render_notice("Exports are coming soon.")


def export_follow_up(deps: Deps, user: str, request: ClvRequest, client: WebClient) -> None:
    return None
