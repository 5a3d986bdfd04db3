"""The "Post the chart in channel" button of `/clv cohorts`: the cohort chart uploaded into
the channel the answer was asked in (aggregates only: no personal data to mask)."""

from __future__ import annotations

from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.slack.answers import cohort_chart_file
from bot.slack.deps import Deps
from bot.slack.listeners.actions.share import posting
from bot.slack.payloads import (
    extract_action_value,
    extract_channel_id,
    extract_user_id,
    is_slack_id,
)
from bot.slack.render import render_notice
from reports.cohort_chart import CHART_ALT


def post_cohort_chart(deps: Deps) -> Callable[..., None]:
    def post(body: dict[str, Any], client: WebClient, respond: Respond, logger: Logger) -> None:
        channel, user = extract_channel_id(body), extract_user_id(body)
        if channel is None or user is None or not (is_slack_id(channel) and is_slack_id(user)):
            respond(**render_notice("I can only post the chart in a channel."),
                    replace_original=False)  # fmt: skip
            return
        period = extract_action_value(body)

        def upload() -> dict[str, Any]:
            found = cohort_chart_file(deps.engine, period)
            if found is None:
                return render_notice("There are no cohorts to draw in the current scores.")
            png, title = found
            client.files_upload_v2(
                channel=channel, content=png, filename=f"clv-cohorts-{period}.png", title=title,
                alt_txt=CHART_ALT, initial_comment=f"Cohort chart, posted by <@{user}>",
            )  # fmt: skip
            return render_notice(f"Posted the cohort chart in <#{channel}>.")

        respond(**posting(logger, "posting the cohort chart", upload), replace_original=False)

    return post
