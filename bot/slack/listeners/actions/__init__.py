"""Buttons on the customer card and the digest, and the outreach modal's Send: acknowledged at
once, answered lazily."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.slack.deps import Deps
from bot.slack.listeners.actions.chart import post_cohort_chart
from bot.slack.listeners.actions.outreach import open_outreach_modal
from bot.slack.listeners.actions.outreach_submit import send_from_modal
from bot.slack.listeners.actions.share import share_in_channel
from bot.slack.listeners.actions.why import explain
from bot.slack.render.acquisition import ACTION_COHORT_CHART
from bot.slack.render.customer import ACTION_SHARE, ACTION_WHY
from bot.slack.render.outreach_modal import CALLBACK_ID as OUTREACH_MODAL
from clv.present.outreach import OUTREACH_ACTION


def ack_click(ack: Ack) -> None:
    ack()


def register(app: App, deps: Deps) -> None:
    app.action(ACTION_WHY)(ack=ack_click, lazy=[explain(deps)])
    app.action(ACTION_SHARE)(ack=ack_click, lazy=[share_in_channel(deps)])
    app.action(OUTREACH_ACTION)(ack=ack_click, lazy=[open_outreach_modal(deps)])
    # an empty acknowledgement closes the modal; the send runs after it
    app.view(OUTREACH_MODAL)(ack=ack_click, lazy=[send_from_modal(deps)])
    app.action(ACTION_COHORT_CHART)(ack=ack_click, lazy=[post_cohort_chart(deps)])
