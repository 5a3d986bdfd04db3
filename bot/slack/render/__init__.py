"""Pure renderers: data from clv.insights in, a Block Kit message (dict) out."""

from bot.slack.render.acquisition import (
    render_channels,
    render_cohorts,
    render_funnel,
    render_nps,
)
from bot.slack.render.customer import render_customer_card, render_why
from bot.slack.render.groups import render_group, render_groups
from bot.slack.render.lists import render_ranked
from bot.slack.render.notices import (
    render_apology,
    render_bad_limit,
    render_help,
    render_no_scores,
    render_notice,
    render_refusal,
    render_store_unavailable,
    render_unknown,
)
from bot.slack.render.status import render_model

__all__ = [
    "render_apology",
    "render_bad_limit",
    "render_channels",
    "render_cohorts",
    "render_customer_card",
    "render_funnel",
    "render_group",
    "render_groups",
    "render_help",
    "render_model",
    "render_no_scores",
    "render_notice",
    "render_nps",
    "render_ranked",
    "render_refusal",
    "render_store_unavailable",
    "render_unknown",
    "render_why",
]
