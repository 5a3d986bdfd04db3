"""`/clv alerts`: recent alerts; `mute <rule> <days>` and `unmute <rule>` for the people in
SLACK_ALERT_USERS (empty: anyone who may use /clv)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.slack.access import to_id_set
from bot.slack.deps import Deps
from bot.slack.payloads import ClvRequest, to_limit
from bot.slack.render import render_help, render_notice
from bot.slack.render.alerts import render_alerts
from bot.slack.render.outreach import to_slack_time
from clv.alerts.store import MAX_MUTE_DAYS, UnknownRuleError, mute_rule, recent_alerts, unmute_rule
from clv.present.blocks import escape
from clv.segments.alerts import enabled_rules
from clv.store import read_snapshot

USAGE = "`/clv alerts`, `/clv alerts mute <rule> <days>` or `/clv alerts unmute <rule>`"


def alerts_answer(deps: Deps, user: str, request: ClvRequest) -> dict[str, Any]:
    words = request.argument.split()
    now = datetime.now(UTC)
    if not words:
        with read_snapshot(deps.engine) as session:
            view = recent_alerts(session, now=now, enabled=enabled_rules(deps.settings.alert_rules))
        return render_alerts(view)
    verb = words[0].lower()
    if verb not in ("mute", "unmute") or len(words) != (3 if verb == "mute" else 2):
        return render_help(f"{USAGE}.")
    allowed = to_id_set(deps.settings.slack_alert_users)
    if allowed and user not in allowed:
        return render_notice(
            "Only the people in SLACK_ALERT_USERS can mute alerts: ask one of them."
        )
    try:
        if verb == "unmute":
            done = unmute_rule(deps.engine, words[1])
            return render_notice(f"`{escape(words[1])}` is {'unmuted' if done else 'not muted'}.")
        days = to_limit(words[2])
        if days is None or days > MAX_MUTE_DAYS:
            return render_help(
                f"Mute a rule for 1 to {MAX_MUTE_DAYS} days, not `{escape(words[2])}`."
            )
        until = mute_rule(deps.engine, words[1], days=days, by=user, now=now)
    except UnknownRuleError as exc:
        return render_help(escape(str(exc)))
    return render_notice(
        f"Muted `{escape(words[1])}` until {to_slack_time(until)}: its firings are kept "
        "(`/clv alerts` lists them) but not posted."
    )
