"""`/clv export …`: the acknowledgement, the refusals, and the words beside the uploaded file."""

from __future__ import annotations

from typing import Any

from bot.slack.render.notices import render_notice
from clv.exports import ExportSummary, ListChoice
from clv.insights.runs import RunRef
from clv.present.blocks import escape

USAGE = "`/clv export dormant|overdue|segment &lt;name&gt;|tier &lt;name&gt;`"  # mrkdwn


def export_title(summary: ExportSummary) -> str:
    """The file's title: 'Dormant customers, scores as of 2024-06-30' (plain text)."""
    what = summary.choice.phrase().removeprefix("the ")
    return f"{what[:1].upper()}{what[1:]}, scores as of {summary.run.as_of}"


def render_export_preparing(choice: ListChoice, run: RunRef) -> dict[str, Any]:
    return render_notice(
        f"Preparing your export of {escape(choice.phrase())} (scores as of {run.as_of}, "
        f"run {run.run_id}); it will arrive in a direct message from clvbot."
    )


def render_export_refused(*, exports_enabled: bool) -> dict[str, Any]:
    """An unauthorised user; `exports_enabled=False`: SLACK_EXPORT_USERS names nobody."""
    if not exports_enabled:
        return render_notice(
            "Exports from Slack are turned off: `SLACK_EXPORT_USERS` names nobody. An admin "
            "can add your Slack user id there."
        )
    return render_notice(
        "Sorry, exports are only for the people listed in `SLACK_EXPORT_USERS`: they hold "
        "customers' names and emails. Ask an admin to add you."
    )


def render_export_problem(problem: str) -> dict[str, Any]:
    """What is wrong with the list asked for (`problem`: plain text), and the usage."""
    return render_notice(
        f"{escape(problem)}\nUsage: {USAGE}: the whole list as a CSV, in a direct message."
    )


def render_export_comment(summary: ExportSummary) -> str:
    """The mrkdwn comment beside the uploaded file: what it holds and how to treat it."""
    run = summary.run
    what = escape(summary.choice.phrase(summary.rows))
    counts = ", ".join(
        f"{n:,} {'to contact' if status == 'contact' else escape(status)}"
        for status, n in summary.statuses
    )
    statuses = f" Contact status: {counts}." if counts else ""
    if summary.arm("holdout"):
        statuses += " Held-out customers are the control group: leave them out of the campaign."
    return (
        f"Your export of {what}, scores as of {run.as_of} (run {run.run_id}).{statuses} The "
        "file holds names and emails: keep it where only the people who need it can read it."
    )
