"""The App Home's Segment modal (pure): pick a segment, tier or stage, see its summary.

A modal has a title of at most 24 characters and at most 100 blocks; a submission answered
with `response_action: update` replaces the modal with the view it carries
(https://docs.slack.dev/reference/views/modal-views,
https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.slack.render.groups import render_group
from clv.insights.groups import GROUPS, GroupSummary
from clv.present.blocks import section
from clv.present.privacy import to_masked_key, to_masked_name

SEGMENT_CALLBACK = "clvbot_segment"
SEGMENT_BLOCK, SEGMENT_SELECT = "group", "group_choice"
WELCOME = (
    "*Welcome to clvbot.* There are no scores yet: run `clvbot score` on the server (it takes "
    "seconds) and this tab fills in with your customers' value, who is slipping away and the "
    "model's health. Meanwhile, `/clv help` lists what I answer."
)
DIMENSION_LABELS = {"segment": "Segments", "tier": "Tiers", "stage": "Lifecycle stages"}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:75]}


def render_segment_modal() -> dict[str, Any]:
    """The modal with one select of every group, grouped by dimension."""
    groups = []
    for dimension, label in DIMENSION_LABELS.items():
        names = [g[1] for g in GROUPS if g[0] == dimension]
        options = [{"text": _plain(name), "value": name} for name in names]
        groups.append({"label": _plain(label), "options": options[:100]})
    select = {"type": "static_select", "action_id": SEGMENT_SELECT,
              "placeholder": _plain("Choose a segment, tier or stage"),
              "option_groups": groups}  # fmt: skip
    block = {"type": "input", "block_id": SEGMENT_BLOCK, "label": _plain("Group"),
             "element": select}  # fmt: skip
    return {"type": "modal", "callback_id": SEGMENT_CALLBACK, "title": _plain("Segment"),
            "submit": _plain("Show"), "close": _plain("Close"), "blocks": [block]}  # fmt: skip


def chosen_group(view: dict[str, Any]) -> str | None:
    """The group picked in a submitted Segment modal (None: nothing picked)."""
    values = (view.get("state") or {}).get("values") or {}
    picked = (values.get(SEGMENT_BLOCK) or {}).get(SEGMENT_SELECT) or {}
    option = picked.get("selected_option") or {}
    value = option.get("value")
    return value if isinstance(value, str) and value else None


def render_group_modal(group: GroupSummary | None, note: str, *, masked: bool) -> dict[str, Any]:
    """The modal that replaces the picker: the group's summary, or `note` (ours, mrkdwn)."""
    if group is None:
        blocks = [section(note)]
    else:
        shown = mask_group(group) if masked else group
        blocks = list(render_group(shown)["blocks"])
    callback = f"{SEGMENT_CALLBACK}_result"
    return {"type": "modal", "callback_id": callback, "title": _plain("Segment"),
            "close": _plain("Close"), "blocks": blocks[:100]}  # fmt: skip


def mask_group(group: GroupSummary) -> GroupSummary:
    """The summary with its top customers' ids (when emails) and names masked."""
    top = tuple(
        replace(t, customer_id=to_masked_key(t.customer_id), name=to_masked_name(t.name))
        for t in group.top
    )
    return replace(group, top=top)


def render_welcome_home() -> dict[str, Any]:
    """The home before the first scoring run."""
    return {"type": "home", "blocks": [section(WELCOME)]}
