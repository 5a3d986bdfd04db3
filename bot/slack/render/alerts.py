"""`/clv alerts`: the recent alerts with their status, the muted rules, and how to mute."""

from __future__ import annotations

from typing import Any

from bot.slack.render.outreach import to_slack_time
from clv.alerts.store import AlertsView
from clv.present.blocks import context, escape, header, line_sections, to_message
from clv.segments.alerts import RULES

STATUS = {"posted": ":white_check_mark:", "muted": ":mute:", "failed": ":warning:",
          "pending": ":hourglass:", "claimed": ":hourglass:"}  # fmt: skip


def render_alerts(view: AlertsView) -> dict[str, Any]:
    blocks = [header("Alerts")]
    if view.recent:
        lines = [
            f"{STATUS.get(a.status, '')} {to_slack_time(a.created_at)} · `{a.rule}` · "
            f"{escape(a.summary)}" + (f" · _{escape(a.status)}_" if a.status != "posted" else "")
            for a in view.recent
        ]
        blocks += line_sections(lines)
    else:
        blocks.append(context("No alert has fired yet."))
    rules = []
    for rule, meaning in RULES.items():
        state = "on" if rule in view.enabled else "off (ALERT_RULES)"
        if rule in view.muted:
            state = f"muted until {to_slack_time(view.muted[rule])}"
        rules.append(f"`{rule}` — {escape(meaning)} · {state}")
    blocks += line_sections(["*Rules*", *rules])
    blocks.append(context("`/clv alerts mute <rule> <days>` · `/clv alerts unmute <rule>`"))
    return to_message("Alerts", blocks)
