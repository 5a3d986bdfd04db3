"""A user's home tab as a `views.publish` view (pure): every value escaped, names and email
addresses masked unless APP_HOME_PERSONAL_DATA says otherwise.

A home view holds at most 100 blocks and 3,000 characters of private_metadata
(https://docs.slack.dev/reference/views/home-tab-views); this one holds about thirty. The trend
chart is an image block naming a file the bot uploaded (a `slack_file` object,
https://docs.slack.dev/reference/block-kit/composition-objects/slack-file-object); the same
numbers are also written out, so the home says everything without the image.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from clv.alerts.store import AlertRecord
from clv.formatting import money, money_change, percent
from clv.insights import RankedCustomer, RankedList
from clv.present.blocks import (
    Block,
    actions,
    button,
    clip,
    context,
    divider,
    escape,
    header,
    section,
)
from clv.present.outreach import outreach_block_id, outreach_button, section_with_button
from clv.present.privacy import to_masked_key, to_masked_name
from reports.home import OPEN_LOOKUP, OPEN_SEGMENT
from reports.home.data import Home

HOME_CALLBACK = "clvbot_home"
MAX_HOME_BLOCKS = 100
OUTREACH_SOURCE = "home"
CHART_ALT = "Customer equity by week, the last 13 weeks"
CHART_TITLE = "Customer equity, 13 weeks"
LIST_TITLES = {
    "dormant": ":zzz: Re-engagement list: dormant customers",
    "overdue": ":hourglass: Overdue: contact them before they go dormant",
}


def render_home(
    home: Home, *, chart_file_id: str | None, notice: Sequence[Block] = ()
) -> dict[str, Any]:
    """The view of type `home` for one user; `notice` (ours, escaped) goes under the title:
    what became of the user's last action here (an outreach sent, or why not)."""
    blocks: list[Block] = [header("clvbot: your customers at a glance"), *notice, *_equity(home)]
    if chart_file_id:
        title = {"type": "plain_text", "text": CHART_TITLE}
        image = {"type": "image", "slack_file": {"id": chart_file_id}, "alt_text": CHART_ALT}
        blocks.append({**image, "title": title})
    blocks.append(context(_trend_line(home)))
    blocks.append(actions(button("Look up a customer", OPEN_LOOKUP, "lookup", style="primary"),
                          button("Segment", OPEN_SEGMENT, "segment")))  # fmt: skip
    blocks += _listing(home, home.dormant, home.dormant_total, "/clv dormant")
    blocks += _listing(home, home.overdue, home.overdue_total, "/clv overdue")
    blocks += [divider(), *_alerts(home.alerts.recent), section(_model_line(home))]
    privacy = "names masked" if home.masked else "names shown (APP_HOME_PERSONAL_DATA)"
    blocks.append(context(f"Scores as of {home.run.as_of} (run {home.run.run_id}) · {privacy}"))
    metadata = json.dumps({"run_id": home.run.run_id})
    return {"type": "home", "callback_id": HOME_CALLBACK, "private_metadata": metadata,
            "blocks": blocks[:MAX_HOME_BLOCKS]}  # fmt: skip


def render_no_access_home() -> dict[str, Any]:
    """The home of a user SLACK_ALLOWED_USERS no longer lists: nothing of the shop's data."""
    return {"type": "home", "callback_id": HOME_CALLBACK,
            "blocks": [section("clvbot is not enabled for you. Ask your Slack admin if you "
                               "think it should be.")]}  # fmt: skip


def home_run_id(view: dict[str, Any] | None) -> int | None:
    """The run a published home was built from (its private_metadata), None if not ours."""
    if not isinstance(view, dict) or view.get("callback_id") != HOME_CALLBACK:
        return None
    try:
        run_id = json.loads(view.get("private_metadata") or "{}").get("run_id")
    except (ValueError, AttributeError):
        return None
    return run_id if isinstance(run_id, int) else None


def _equity(home: Home) -> list[Block]:
    cur = home.run.currency
    text = f"*Customer equity* {money(home.customer_equity, cur, decimals=0)}"
    band = home.model.equity_range
    if band is not None:
        text += (f" ({percent(band.level)} range {money(band.low, cur, decimals=0)}–"
                 f"{money(band.high, cur, decimals=0)})")  # fmt: skip
    change = home.change_13_weeks
    if change is not None and home.trend[0].customer_equity:
        share = change / home.trend[0].customer_equity
        text += (f"\n{money_change(change, cur)} ({share:+.1%}) since the week of "
                 f"{home.trend[0].week_end}")  # fmt: skip
    text += f" · {home.run.customers:,} customers scored · model {escape(home.run.model)}"
    return [section(text)]


def _trend_line(home: Home) -> str:
    cur = home.run.currency
    points = [f"{p.week_end:%d %b} {money(p.customer_equity, cur, decimals=0)}" for p in home.trend]
    return "Equity by week: " + " · ".join(points)


def _listing(home: Home, listing: RankedList, total: int, command: str) -> list[Block]:
    blocks: list[Block] = [divider(), section(f"*{LIST_TITLES[listing.kind]}* ({total:,})")]
    cur = listing.run.currency
    for row in listing.rows:
        blocks.append(_row(row, cur, masked=home.masked))
    if not listing.rows:
        blocks.append(context("_Nobody on this list._"))
    elif total > len(listing.rows):
        blocks.append(context(f"the top {len(listing.rows)} by value at stake; `{command}` "
                              "lists more"))  # fmt: skip
    return blocks


def _row(row: RankedCustomer, currency: str, *, masked: bool) -> Block:
    key = to_masked_key(row.customer_id) if masked else row.customer_id
    name = to_masked_name(row.name) if masked else row.name
    who = escape(clip(key, 40)) + (f" ({escape(clip(name, 40))})" if name else "")
    reason = row.dormant_reason if row.dormant else None
    text = (f"*{who}* · {escape(row.tier or row.segment)} · at stake "
            f"*{money(row.value_at_stake, currency, decimals=0)}* · P(alive) "
            f"{percent(row.p_alive)}")  # fmt: skip
    if reason:
        text += f"\n{escape(reason)}"
    verdict, accessory = row.outreach, None
    if verdict is not None and verdict.eligible:
        accessory = outreach_button(row.store_id, OUTREACH_SOURCE)
    elif verdict is not None and verdict.reason:
        mark = ":test_tube:" if verdict.held_out else ":no_entry_sign:"
        text += f"\n{mark} _no button: {escape(verdict.reason)}_"
    return section_with_button(text, outreach_block_id(row.store_id), accessory)


def _alerts(recent: tuple[AlertRecord, ...]) -> list[Block]:
    if not recent:
        return [section("*Latest alerts*\n_None yet._")]
    lines = [
        f"• {a.as_of} · `{escape(a.rule)}` · {escape(clip(a.summary, 200))}"
        + ("" if a.status == "posted" else f" _({escape(a.status)})_")
        for a in recent
    ]
    return [section("*Latest alerts* (`/clv alerts` for more)\n" + "\n".join(lines))]


def _model_line(home: Home) -> str:
    status = home.model
    fitted = f"fitted {status.fitted_at:%Y-%m-%d}" if status.fitted_at else "not fitted"
    warnings = len(status.warnings)
    note = f" · :warning: {warnings} warning(s)" if warnings else ""
    failed = " · :x: a later run failed" if status.failed_since is not None else ""
    summary = escape(clip(status.holdout_summary, 300))
    name = escape(status.transactions_model.name)
    return f"*Model health* {name}, {fitted} · {summary}{note}{failed}"
