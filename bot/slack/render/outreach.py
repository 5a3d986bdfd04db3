"""What replaces the "Send outreach" button once clicked: who sent it and when, or why not."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from clv.outreach import OutreachResult
from clv.present.blocks import Block, actions, context, escape
from clv.present.outreach import outreach_button


def to_slack_time(at: datetime | None) -> str:
    """A time every reader sees in their own time zone (Slack date formatting)."""
    if at is None:
        return "earlier"
    fallback = at.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def render_outreach_outcome(result: OutreachResult, *, source: str) -> list[Block]:
    """Blocks for the message, in place of the button (a retry button after a failure)."""
    who = f"<@{result.by}>" if result.by else "someone"
    when = to_slack_time(result.at)
    reason = escape(result.reason) if result.reason else ""
    if result.status == "sent":
        return [context(f":white_check_mark: Outreach sent by {who} {when} · {reason}")]
    if result.status == "already_contacted":
        # the cooldown holder's own click: nothing new was sent
        return [context(f":white_check_mark: Outreach sent by {who} {when} · no second message")]
    if result.status == "opted_out":
        return [context(f":no_entry: Not sent: {reason or 'the customer opted out'}")]
    if result.status == "no_address":
        return [context(f":no_entry: Not sent: {reason or 'no email address on file'}")]
    if result.status == "held_out":
        return [context(f":test_tube: Not sent: {reason}, so we can measure what outreach adds")]
    if result.status == "not_dormant":
        return [context(f":information_source: Not sent: {reason}")]
    if result.status == "unknown_customer":
        return [context(":grey_question: Not sent: that customer is no longer in the store.")]
    blocks: list[Block] = [context(f":warning: Sending failed: {reason or 'unknown error'}")]
    if result.retry_allowed:
        blocks.append(actions(outreach_button(result.customer_id, source, text="Retry")))
    return blocks


def render_not_allowed() -> dict[str, Any]:
    text = "Only the people in SLACK_OUTREACH_USERS can send outreach: ask one of them."
    return {"text": text, "response_type": "ephemeral", "replace_original": False}
