"""`/clv alerts`: recent alerts; `mute <rule> <days>` and `unmute <rule>` for authorised users."""

from __future__ import annotations

from typing import Any

from bot.slack.deps import Deps
from bot.slack.payloads import ClvRequest
from bot.slack.render import render_notice


def alerts_answer(deps: Deps, user: str, request: ClvRequest) -> dict[str, Any]:
    return render_notice("Alerts are coming soon.")
