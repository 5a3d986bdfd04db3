"""`/clv export …`: the list as a CSV, uploaded in a direct message to an authorised user.

The acknowledgement checks who asked (`SLACK_EXPORT_USERS`; empty: nobody may export) and which
list, and says the file is on its way; the follow-up, in bolt's lazy listener, checks both
again, writes the CSV of the whole list and uploads it into the direct message that
`conversations.open` gives for that user: never into the channel the command came from.
"""

from __future__ import annotations

import io
import logging
import tempfile
from datetime import datetime
from typing import IO, Any

from slack_sdk import WebClient

from bot.slack.access import to_id_set
from bot.slack.deps import Deps
from bot.slack.errors import render_failure
from bot.slack.payloads import ClvRequest
from bot.slack.render import render_no_scores
from bot.slack.render.export import (
    export_title,
    render_export_comment,
    render_export_preparing,
    render_export_problem,
    render_export_refused,
)
from clv.exports import ExportSummary, ListChoice, UnknownListError, export_filename, parse_list
from clv.exports.csv import write_csv
from clv.insights import NoScoresError, current_ref
from clv.insights.groups import UnknownGroupError
from clv.outreach.policy import OutreachRules
from clv.settings import Settings
from clv.store import read_snapshot

log = logging.getLogger(__name__)


def may_export(settings: Settings, user: str | None) -> bool:
    """SLACK_EXPORT_USERS: only the users it names (empty: nobody)."""
    return bool(user) and user in to_id_set(settings.slack_export_users)


def export_ack(deps: Deps, user: str, request: ClvRequest) -> dict[str, Any]:
    if not may_export(deps.settings, user):
        enabled = bool(to_id_set(deps.settings.slack_export_users))
        return render_export_refused(exports_enabled=enabled)
    try:
        choice = parse_list(request.argument)
    except (UnknownListError, UnknownGroupError) as exc:
        return render_export_problem(str(exc))
    try:
        with read_snapshot(deps.engine) as session:
            run = current_ref(session)
    except NoScoresError:
        return render_no_scores()
    return render_export_preparing(choice, run)


def export_follow_up(deps: Deps, user: str, request: ClvRequest, client: WebClient) -> None:
    choice = _wanted(deps.settings, user, request)
    if choice is None:
        return  # the acknowledgement refused, or said what is wrong
    try:
        channel = open_direct_message(client, user)
    except Exception as exc:  # no direct message (im:write missing?): nothing goes elsewhere
        render_failure(log, exc, f"opening the direct message for {user}'s export")
        return
    try:
        with tempfile.TemporaryFile() as file:
            summary = _write(deps, choice, file)
            client.files_upload_v2(
                channel=channel, file=file, filename=export_filename(choice, summary.run),
                title=export_title(summary), initial_comment=render_export_comment(summary),
            )  # fmt: skip
    except NoScoresError:
        return  # the acknowledgement said so
    except Exception as exc:  # logged with an id; the user hears it in the direct message
        message = render_failure(log, exc, f"exporting the {choice.label} for {user}")
        message.pop("response_type", None)
        client.chat_postMessage(channel=channel, **message)
        return
    log.info("export of the %s (%d rows, run %d) sent to %s in a direct message",
             choice.label, summary.rows, summary.run.run_id, user)  # fmt: skip


def _wanted(settings: Settings, user: str, request: ClvRequest) -> ListChoice | None:
    """The list to export, or None when the acknowledgement did not promise one."""
    if not may_export(settings, user):
        return None
    try:
        return parse_list(request.argument)
    except (UnknownListError, UnknownGroupError):
        return None


def open_direct_message(client: WebClient, user: str) -> str:
    """The id of the bot's direct message with `user` (conversations.open)."""
    opened = client.conversations_open(users=user)
    channel = (opened.get("channel") or {}).get("id")
    if not (isinstance(channel, str) and channel.startswith("D")):
        raise RuntimeError(f"conversations.open gave no direct message for {user}: {channel!r}")
    return channel


def _write(deps: Deps, choice: ListChoice, file: IO[bytes]) -> ExportSummary:
    """The CSV of `choice` into `file` (UTF-8), rewound for the upload."""
    text = io.TextIOWrapper(file, encoding="utf-8", newline="")
    try:
        rules, now = OutreachRules.of(deps.settings), datetime.now(deps.settings.tzinfo)
        summary = write_csv(deps.engine, choice, text, rules=rules, now=now)
        text.flush()
    finally:
        text.detach()  # the upload reads `file`: closing the wrapper would close it
    file.seek(0)
    return summary
