"""`clvbot export`: a whole list as CSV (or the JSON document) into a file or standard output,
and/or POSTed, signed, to the CRM endpoint EXPORT_WEBHOOK_URL."""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import IO

import typer
from sqlalchemy import Engine

from bot.cli.context import err, fail, load_settings, open_store, user_errors
from clv.exports import ExportSink, ExportSummary, ListChoice, export_filename, export_list
from clv.exports import parse_list as parse_list_words
from clv.exports.csv import CsvSink
from clv.exports.webhook import ExportSettingError, ExportWebhook, JsonSink, send_export
from clv.outreach.policy import OutreachRules
from clv.settings import Settings

STDOUT = "-"


def export(
    what: list[str] = typer.Argument(
        ..., metavar="LIST", help="dormant, overdue, segment NAME or tier NAME."
    ),
    out_file: str | None = typer.Option(
        None,
        "--out",
        help="The file to write, '-' for standard output. Default: clv-<list>-<as of>.csv in "
        "the current folder (.json with --json); with --webhook, no file.",
    ),
    webhook: bool = typer.Option(
        False, "--webhook", help="POST the list as signed JSON to EXPORT_WEBHOOK_URL."
    ),
    json_output: bool = typer.Option(
        False, "--json", help="Write the JSON document (the one --webhook sends), not CSV."
    ),
) -> None:
    """A whole list (dormant, overdue, a segment or a tier) as CSV or JSON, or sent to a CRM
    webhook.

    Every customer of the list is written, with the outreach policy's contact status and
    experiment arm; the arms of the at-risk customers shown are recorded (source "export").
    A file is written beside its final name and moved there when complete, readable by its
    owner only (it holds names and emails). A summary line goes to standard error.
    """
    settings = load_settings()
    with user_errors():
        choice = parse_list_words(" ".join(what))
    target = _webhook(settings) if webhook else None
    engine = open_store(settings)
    rules, now = OutreachRules.of(settings), datetime.now(settings.tzinfo)
    key: str | None
    with user_errors():
        if target is not None and out_file is None:
            sent = send_export(engine, choice, target, rules=rules, now=now)
            summary, key, where = sent.summary, sent.idempotency_key, ""
        else:
            summary, key, where = _to_file(engine, choice, out_file, json_output, target,
                                           rules, now)  # fmt: skip
    err.print(_summary_line(summary, where, key), markup=False, highlight=False)


def _webhook(settings: Settings) -> ExportWebhook:
    try:
        return ExportWebhook.of(settings)
    except ExportSettingError as exc:
        fail(str(exc), code=2)


def _sink(file: IO[str], json_output: bool, now: datetime) -> ExportSink:
    return JsonSink(file, now) if json_output else CsvSink(file)


def _export(
    engine: Engine,
    choice: ListChoice,
    sink: ExportSink,
    target: ExportWebhook | None,
    rules: OutreachRules,
    now: datetime,
) -> tuple[ExportSummary, str | None]:
    """The export into `sink`, and to the webhook when there is one (one read for both)."""
    if target is None:
        return export_list(engine, choice, sink, rules=rules, now=now), None
    sent = send_export(engine, choice, target, rules=rules, now=now, also=sink)
    return sent.summary, sent.idempotency_key


def _to_file(
    engine: Engine,
    choice: ListChoice,
    out_file: str | None,
    json_output: bool,
    target: ExportWebhook | None,
    rules: OutreachRules,
    now: datetime,
) -> tuple[ExportSummary, str | None, str]:
    if out_file == STDOUT:
        summary, key = _export(engine, choice, _sink(sys.stdout, json_output, now), target,
                               rules, now)  # fmt: skip
        sys.stdout.flush()
        return summary, key, "standard output"
    path = Path(out_file) if out_file else None
    folder = path.parent if path else Path()  # "." keeps the name short in the summary
    if not folder.is_dir():
        fail(f"--out: no folder {str(folder)!r} to write into")
    # mkstemp: mode 0600, in the target's folder so the move is a rename
    handle, part = tempfile.mkstemp(prefix=".clv-export-", suffix=".part", dir=folder)
    try:
        with open(handle, "w", encoding="utf-8", newline="") as file:
            summary, key = _export(engine, choice, _sink(file, json_output, now), target,
                                   rules, now)  # fmt: skip
        suffix = "json" if json_output else "csv"
        final = path or folder / export_filename(choice, summary.run, suffix)
        os.replace(part, final)
    except BaseException:
        Path(part).unlink(missing_ok=True)
        raise
    return summary, key, str(final)


def _summary_line(summary: ExportSummary, where: str, key: str | None) -> str:
    run = summary.run
    text = f"exported {summary.choice.phrase(summary.rows).removeprefix('the ')}"
    text += f" (scores as of {run.as_of}, run {run.run_id})"
    if where:
        text += f" to {where}"
    if key is not None:
        text += f"{' and' if where else ''} to EXPORT_WEBHOOK_URL (Idempotency-Key {key[:12]}…)"
    arms = ", ".join(f"{n:,} {arm}" for arm, n in summary.arms) or "none"
    statuses = ", ".join(f"{n:,} {status}" for status, n in summary.statuses) or "none"
    return (f"{text}; arms: {arms} ({summary.recorded:,} recorded now); "
            f"contact status: {statuses}")  # fmt: skip
