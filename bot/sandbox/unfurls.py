"""`chat.unfurl` (https://api.slack.com/methods/chat.unfurl): an app's previews of the links
in a message, attached to it under the message.

The message is named by `channel` and `ts`, or by the `unfurl_id` and `source` of its
`link_shared` event ("Both `unfurl_id` and `source` must be provided together, or `channel`
and `ts`"); source "composer" names a message still being typed, whose preview shows above
the composer (https://api.slack.com/changelog/2021-08-changes-to-unfurls).

`unfurls` maps each URL to its attachment (`{"blocks": [...]}`); a second call for a
URL replaces its unfurl instead of adding one. Refusals, named as the method's reference names
them: `missing_channel`, `missing_ts`, `cannot_find_channel`, `cannot_find_message`,
`missing_unfurls`, `invalid_unfurls_format` (not a map of URLs to objects),
`cannot_parse_attachment` (blocks Slack cannot read), `cannot_unfurl_message` (the URL is not
in the message) and `cannot_unfurl_url` (its domain is not one of the app's unfurl domains;
a test workspace, `any_channel`, takes any domain: the tests' bot has its own patterns).
"""

from __future__ import annotations

import json
from typing import Any

from bot.sandbox.args import Answer, ApiError, Args, with_block_ids
from bot.sandbox.links import links_in, registered_domain
from bot.sandbox.viewsapi import missing_file
from bot.sandbox.workspace import Message, Workspace

SOURCES = ("composer", "conversations_history")
MAX_UNFURL_BLOCKS = 50


def chat_unfurl(ws: Workspace, args: Args) -> Answer:
    message = _message(ws, args)
    unfurls = _unfurls(args)
    shown = links_in(message.text)
    for url, unfurl in unfurls.items():
        if url not in shown:
            raise ApiError("cannot_unfurl_message")
        if not ws.any_channel and registered_domain(url, ws.unfurl_domains) is None:
            raise ApiError("cannot_unfurl_url")
        blocks = unfurl.get("blocks")
        if blocks is not None and not _blocks_ok(ws, blocks):
            raise ApiError("cannot_parse_attachment")
    ws.attach_unfurls(message, {url: _with_ids(u) for url, u in unfurls.items()})
    return {}


def _message(ws: Workspace, args: Args) -> Message:
    unfurl_id, source = str(args.get("unfurl_id") or ""), str(args.get("source") or "")
    if unfurl_id or source:
        if not (unfurl_id and source in SOURCES):
            raise ApiError("invalid_arguments")
        with ws.lock:
            where = ws.unfurl_ids.get(unfurl_id)
            draft = ws.drafts.get(unfurl_id)
        posted = ws.find(*where) if where else None
        # a composer's draft, or (tests register one in unfurl_ids) the message it became
        found = (draft or posted) if source == "composer" else posted
    else:
        channel_arg, ts = args.get("channel"), str(args.get("ts") or "")
        if not channel_arg:
            raise ApiError("missing_channel")
        if not ts:
            raise ApiError("missing_ts")
        channel = ws.resolve_channel(channel_arg)
        if channel is None:
            raise ApiError("cannot_find_channel")
        found = ws.find(channel, ts)
    if found is None or found.ephemeral:
        raise ApiError("cannot_find_message")
    return found


def _unfurls(args: Args) -> dict[str, dict[str, Any]]:
    value = args.get("unfurls")
    if value is None or value == "":
        raise ApiError("missing_unfurls")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ApiError("invalid_unfurls_format") from None
    if not isinstance(value, dict) or not value:
        raise ApiError("invalid_unfurls_format")
    if not all(isinstance(url, str) and isinstance(u, dict) for url, u in value.items()):
        raise ApiError("invalid_unfurls_format")
    return value


def _with_ids(unfurl: dict[str, Any]) -> dict[str, Any]:
    blocks = unfurl.get("blocks")
    return {**unfurl, "blocks": with_block_ids(blocks)} if isinstance(blocks, list) else unfurl


def _blocks_ok(ws: Workspace, blocks: object) -> bool:
    if not isinstance(blocks, list) or not 0 < len(blocks) <= MAX_UNFURL_BLOCKS:
        return False
    if not all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in blocks):
        return False
    return missing_file(ws, blocks) is None
