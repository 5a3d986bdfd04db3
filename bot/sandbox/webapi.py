"""The Web API methods the bot calls, played against the sandbox's workspace.

Each method takes the call's arguments (query, form and JSON merged, as Slack accepts them) and
answers what Slack would: `{"ok": true, ...}` or `{"ok": false, "error": "..."}`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from bot.sandbox.args import Answer, ApiError, Args, with_block_ids
from bot.sandbox.args import channel_arg as _channel
from bot.sandbox.args import json_arg as _json_arg
from bot.sandbox.unfurls import chat_unfurl
from bot.sandbox.viewsapi import missing_file, views_open, views_publish, views_push, views_update
from bot.sandbox.workspace import (
    BOT_ID,
    BOT_NAME,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    USER_ID,
    Message,
    UploadedFile,
    Workspace,
)

__all__ = ["ApiError", "call", "file_info", "with_block_ids"]
MAX_BLOCKS = 50
MAX_TEXT = 40_000


def _content(ws: Workspace, args: Args) -> tuple[str, list[dict[str, Any]]]:
    text = args.get("text") or ""
    blocks = _json_arg(args, "blocks") or []
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        raise ApiError("invalid_blocks")
    if len(blocks) > MAX_BLOCKS:
        raise ApiError("invalid_blocks")
    missing = missing_file(ws, blocks)
    if missing is not None:  # Slack cannot show the image: "invalid slack_file"
        raise ApiError("invalid_blocks", f"invalid slack_file [json-pointer:{missing}]")
    if not text and not blocks:
        raise ApiError("no_text")
    if len(str(text)) > MAX_TEXT:
        raise ApiError("msg_too_long")
    return str(text), with_block_ids(blocks)


def _metadata(args: Args) -> dict[str, Any] | None:
    metadata = _json_arg(args, "metadata")
    if metadata is None:
        return None
    if not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str):
        raise ApiError("invalid_metadata_format")
    return metadata


def auth_test(_ws: Workspace, _args: Args) -> Answer:
    url = f"https://{TEAM_DOMAIN}.slack.com/"
    return {"url": url, "team": "clv sandbox", "user": BOT_NAME, "team_id": TEAM_ID,
            "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}  # fmt: skip


def chat_post_message(ws: Workspace, args: Args) -> Answer:
    channel = _channel(ws, args)
    text, blocks = _content(ws, args)
    thread_ts = args.get("thread_ts") or None
    if thread_ts and ws.find(channel, str(thread_ts)) is None:
        raise ApiError("thread_not_found")
    message = Message(ws.next_ts(), channel, BOT_USER_ID, text, blocks, thread_ts=thread_ts,
                      metadata=_metadata(args))  # fmt: skip
    ws.post(message)
    return {"channel": channel, "ts": message.ts, "message": message.to_api(with_metadata=True)}


def chat_post_ephemeral(ws: Workspace, args: Args) -> Answer:
    channel = _channel(ws, args)
    if args.get("user") != USER_ID:
        raise ApiError("user_not_in_channel")
    text, blocks = _content(ws, args)
    thread_ts = args.get("thread_ts") or None
    message = Message(ws.next_ts(), channel, BOT_USER_ID, text, blocks, ephemeral=True,
                      thread_ts=thread_ts, via="chat.postEphemeral")  # fmt: skip
    ws.post(message)
    return {"message_ts": message.ts}


def chat_update(ws: Workspace, args: Args) -> Answer:
    channel = _channel(ws, args)
    message = ws.find(channel, str(args.get("ts")))
    if message is None or message.ephemeral:  # ephemeral messages change via response_url only
        raise ApiError("message_not_found")
    if message.user != BOT_USER_ID:
        raise ApiError("cant_update_message")
    text, blocks = _content(ws, args)
    metadata = _metadata(args)
    ws.replace(message, text=text, blocks=blocks)
    if metadata is not None:
        message.metadata = metadata
    return {"channel": channel, "ts": message.ts, "text": text, "message": message.to_api()}


def chat_delete(ws: Workspace, args: Args) -> Answer:
    channel = _channel(ws, args)
    message = ws.find(channel, str(args.get("ts")))
    if message is None or message.ephemeral:
        raise ApiError("message_not_found")
    ws.delete(message)
    return {"channel": channel, "ts": message.ts}


def conversations_history(ws: Workspace, args: Args) -> Answer:
    channel = _channel(ws, args)
    limit = max(1, min(999, int(args.get("limit") or 100)))
    oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or 1e12)
    inclusive = str(args.get("inclusive", "")).lower() in ("1", "true")
    with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
    start = int(args.get("cursor") or 0)

    def within(ts: float) -> bool:
        return oldest <= ts <= latest if inclusive else oldest < ts < latest

    found = [m for m in ws.history(channel) if within(float(m.ts))]
    page = found[start : start + limit]
    more = start + limit < len(found)
    return {
        "messages": [m.to_api(with_metadata=with_metadata) for m in page],
        "has_more": more,
        "response_metadata": {"next_cursor": str(start + limit) if more else ""},
    }


def conversations_list(ws: Workspace, _args: Args) -> Answer:
    channels = [
        {"id": cid, "name": name, "is_channel": True, "is_member": True, "is_archived": False}
        for cid, name in ws.channels.items()
    ]
    return {"channels": channels, "response_metadata": {"next_cursor": ""}}


def conversations_open(ws: Workspace, args: Args) -> Answer:
    """The direct message between the bot and one user: a `D…` id, the same each time, listed
    among the workspace's channels as "clvbot" (the page shows the bot's DMs there)."""
    users = [u.strip() for u in str(args.get("users") or "").split(",") if u.strip()]
    if not users:
        raise ApiError("users_list_not_supplied")
    if len(users) > 1:
        raise ApiError("too_many_users")  # group DMs: not played by the sandbox
    user = users[0]
    if user[:1] not in ("U", "W") or not (user.isalnum() and user.isupper() and len(user) <= 21):
        raise ApiError("user_not_found")
    channel = "D" + user[1:]  # one DM per user, the same each time
    with ws.lock:
        opened = channel in ws.channels
        ws.channels[channel] = BOT_NAME
    return {"no_op": opened, "already_open": opened, "channel": {"id": channel}}


def files_get_upload_url_external(ws: Workspace, args: Args, base_url: str) -> Answer:
    filename = str(args.get("filename") or "")
    try:
        length = int(args.get("length") or 0)
    except ValueError:
        raise ApiError("invalid_arguments") from None
    if not filename or length <= 0:
        raise ApiError("invalid_arguments")
    file_id = "F" + secrets.token_hex(5).upper()
    ws.add_file(UploadedFile(file_id, filename, length, alt_txt=str(args.get("alt_txt") or "")))
    return {"upload_url": f"{base_url}upload/{file_id}", "file_id": file_id}


def file_info(upload: UploadedFile, base_url: str) -> dict[str, Any]:
    mimetype = "image/png" if upload.name.lower().endswith(".png") else "application/octet-stream"
    return {"id": upload.id, "name": upload.name, "title": upload.title or upload.name,
            "mimetype": mimetype, "size": upload.length, "alt_txt": upload.alt_txt,
            "url_private": f"{base_url}files/{upload.id}"}  # fmt: skip


def files_complete_upload_external(ws: Workspace, args: Args, base_url: str) -> Answer:
    wanted = _json_arg(args, "files")
    if not isinstance(wanted, list) or not wanted:
        raise ApiError("invalid_arguments")
    uploads = []
    for item in wanted:
        upload = ws.files.get(str(item.get("id"))) if isinstance(item, dict) else None
        if upload is None or upload.data is None:
            raise ApiError("file_not_found")
        upload.title = str(item.get("title") or upload.name)
        upload.completed = True
        uploads.append(upload)
    infos = [file_info(u, base_url) for u in uploads]
    channel_arg = args.get("channel_id") or (str(args.get("channels") or "").split(",")[0])
    if channel_arg:
        channel = ws.resolve_channel(channel_arg)
        if channel is None:
            raise ApiError("channel_not_found")
        thread_ts = args.get("thread_ts") or None
        text = str(args.get("initial_comment") or "")
        ws.post(Message(ws.next_ts(), channel, BOT_USER_ID, text, thread_ts=thread_ts,
                        files=infos, via="files.completeUploadExternal"))  # fmt: skip
    return {"files": infos}


Method = Callable[[Workspace, Args], Answer]
FileMethod = Callable[[Workspace, Args, str], Answer]
METHODS: dict[str, Method] = {
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "conversations.history": conversations_history,
    "conversations.list": conversations_list,
    "conversations.open": conversations_open,
    "chat.unfurl": chat_unfurl,
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
}
FILE_METHODS: dict[str, FileMethod] = {
    "files.getUploadURLExternal": files_get_upload_url_external,
    "files.completeUploadExternal": files_complete_upload_external,
}


def call(ws: Workspace, method: str, args: Args, *, base_url: str) -> Answer:
    """Run one Web API method: `base_url` is the sandbox's own address (for upload URLs)."""
    try:
        if method in METHODS:
            answer = METHODS[method](ws, args)
        elif method in FILE_METHODS:
            answer = FILE_METHODS[method](ws, args, base_url)
        else:
            raise ApiError("unknown_method")
    except ApiError as exc:
        ws.log("api", method, False, exc.error)
        return exc.to_answer()
    ws.log("api", method, True)
    return {"ok": True, **answer}
