"""Help, did-you-mean, no scores yet, refusals and apologies."""

from __future__ import annotations

from typing import Any

from clv.present.blocks import code, context, escape, header, section, to_message

HELP = """\
`/clv <customer id or email>` — the customer's card: value, status, segment, trend
`/clv segment <name>` — one segment, CLV tier or lifecycle stage, with its top customers
`/clv segments [segment|tier|stage]` — every group: size, value, week-over-week change, rule
`/clv dormant [N]` — re-engagement list, ranked by value at stake
`/clv top [N]` — the most valuable customers
`/clv overdue [N]` — customers past their usual time between orders, before they go dormant
`/clv model` — when the model was fitted, on how many customers, how accurate it is
`/clv channels` — CLV against acquisition cost (CAC) per channel: ratio, payback, budget
`/clv funnel [channel]` — acquired, converted, retained, loyal and dormant customers
`/clv cohorts [month|quarter]` — retention and revenue per customer by acquisition cohort
`/clv nps [segment|tier|channel]` — Net Promoter Score beside what customers are worth
`/clv alerts [mute <rule> <days> | unmute <rule>]` — recent alerts, and muting a rule
`/clv export dormant|overdue|segment <name>|tier <name>` — the list as a CSV, in a direct message
`/clv subscribe [segment|tier|channel <name>] [weekly|monthly] [day] [HH:MM] [time zone]` \
— deliver the digest (of the shop or one group) to this channel, on its own schedule
`/clv subscriptions` — every digest delivery and its next time; `/clv unsubscribe <n>` stops one
`/clv help` — this message"""


def render_help(problem: str | None = None) -> dict[str, Any]:
    blocks = [header("clvbot: customer lifetime value")]
    if problem:
        blocks.append(section(problem))
    blocks.append(section(HELP))
    blocks.append(context("Answers are visible only to you; use *Share in channel* to post."))
    return to_message("How to use /clv", blocks)


def render_unknown(text: str, suggestions: list[str]) -> dict[str, Any]:
    """Unrecognised input: help, and the closest commands, groups or customers."""
    problem = f"I don't know {code(text, 80)}: no such command, segment or customer."
    if suggestions:
        problem += f"\nDid you mean {' or '.join(code(s, 80) for s in suggestions)}?"
    return render_help(problem)


def render_bad_limit(text: str, cap: int) -> dict[str, Any]:
    """`/clv top 0`, `/clv dormant abc`: say what a list length may be."""
    command, _, given = text.partition(" ")
    return render_help(
        f"`/clv {escape(command)}` takes how many customers to list, a whole number from 1 "
        f"to {cap}; {code(given, 40)} is not one."
    )


def render_notice(text: str) -> dict[str, Any]:
    """A short ephemeral message; `text` is ours (mrkdwn), data in it must be escaped."""
    return to_message(text, [section(text)])


def render_no_scores() -> dict[str, Any]:
    return render_notice(
        "There are no scores yet. Run `clvbot score` on the server (it takes seconds), "
        "then ask again."
    )


def render_refusal() -> dict[str, Any]:
    return render_notice(
        "Sorry, clvbot is not enabled for you here. An admin can add you "
        "(or this channel) to its allowed list."
    )


def render_apology(error_id: str) -> dict[str, Any]:
    return render_notice(
        f"Sorry, something went wrong on my side and I couldn't answer. "
        f"If it keeps happening, give your admin this error id: `{error_id}`."
    )


def render_store_unavailable(error_id: str) -> dict[str, Any]:
    return render_notice(
        "Sorry, the customer store is not answering right now, so I can't look that up. "
        "Try again in a minute; if it keeps happening, tell whoever runs clvbot "
        f"(error id: `{error_id}`)."
    )
