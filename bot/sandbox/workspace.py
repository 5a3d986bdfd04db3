"""The sandbox's pretend workspace: channels, messages, uploaded files, emails, response URLs,
the modal's stack of views and each user's App Home.

Everything lives in memory behind one lock; `version` goes up on every change so the page can
poll cheaply.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TEAM_ID = "T0SANDBOX"
TEAM_DOMAIN = "clv-sandbox"
USER_ID = "U0DEMOUSER"
USER_NAME = "you"
BOT_USER_ID = "U0CLVBOT"
BOT_ID = "B0CLVBOT"
BOT_NAME = "clvbot"
APP_ID = "A0CLVBOT"
GENERAL_CHANNEL = "C0GENERAL"
DIGEST_CHANNEL = "C0CLVDIGEST"
ALERTS_CHANNEL = "C0CLVALERTS"
CHANNELS = {GENERAL_CHANNEL: "general", DIGEST_CHANNEL: "clv-digest", ALERTS_CHANNEL: "clv-alerts"}
RESPONSE_URL_USES = 5  # Slack allows five uses of a response_url
TRIGGER_SECONDS = 3.0  # a trigger_id opens one modal within 3 s (SLACK.md)
RESUBMIT_SECONDS = 1.0  # a closed modal's Send still counts this long: a double submit
MAX_STACK = 3  # a modal holds at most three views (https://api.slack.com/methods/views.push)
KEEP_ACTIVITY = 60
CHANNEL_ID = re.compile(r"[CDG][A-Z0-9]{1,20}")  # public, direct and private conversations
USER_ID_SHAPE = re.compile(r"[UW][A-Z0-9]{1,20}")


@dataclass
class Message:
    ts: str
    channel: str
    user: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    ephemeral: bool = False  # only visible to the sandbox user
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    edited: bool = False
    via: str = "chat.postMessage"  # how it arrived, shown on hover
    # the app unfurls chat.unfurl attached, by URL (a second call for a URL replaces its own)
    unfurls: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_api(self, *, with_metadata: bool = False) -> dict[str, Any]:
        """The message as conversations.history returns it."""
        data: dict[str, Any] = {"type": "message", "ts": self.ts, "text": self.text}
        data["user"] = self.user
        if self.user == BOT_USER_ID:
            data.update(bot_id=BOT_ID, app_id=APP_ID)
        if self.blocks:
            data["blocks"] = self.blocks
        if self.unfurls:
            data["attachments"] = self.attachments()
        if self.thread_ts:
            data["thread_ts"] = self.thread_ts
        if self.files:
            data["files"] = self.files
        if self.edited:
            data["edited"] = {"user": self.user, "ts": self.ts}
        if with_metadata and self.metadata:
            data["metadata"] = self.metadata
        return data

    def attachments(self) -> list[dict[str, Any]]:
        """The unfurls as a message's attachments, marked as an app's unfurl the way Slack
        marks them (`is_app_unfurl`, `app_unfurl_url`)."""
        return [
            {**unfurl, "id": n, "from_url": url, "original_url": url, "app_unfurl_url": url,
             "is_app_unfurl": True, "app_id": APP_ID}
            for n, (url, unfurl) in enumerate(self.unfurls.items(), start=1)
        ]  # fmt: skip

    def to_view(self) -> dict[str, Any]:
        """The message as the page draws it."""
        return {
            **self.to_api(with_metadata=True),
            "channel": self.channel,
            "ephemeral": self.ephemeral,
            "via": self.via,
        }


@dataclass(frozen=True)
class Email:
    sender: str
    to: list[str]
    subject: str
    text: str
    received: float

    def to_view(self) -> dict[str, Any]:
        return {"from": self.sender, "to": self.to, "subject": self.subject, "text": self.text,
                "received": self.received}  # fmt: skip


@dataclass
class UploadedFile:
    id: str
    name: str
    length: int
    alt_txt: str = ""
    title: str = ""
    data: bytes | None = None
    completed: bool = False  # files.completeUploadExternal made it a file


@dataclass
class ResponseTarget:
    """Where a response_url's messages go: the channel, and the message a button was on."""

    channel: str
    original_ts: str | None = None
    last_ts: str | None = None  # the last message it posted (a command's "original")
    uses: int = 0


@dataclass
class OpenView:
    """A modal the bot opened with views.open, as that method answered (id, hash, state ...)."""

    view: dict[str, Any]
    closed: float | None = None  # time.monotonic() when closed; None: open


class Workspace:
    """`clock` is Slack's clock (message ts are taken from it, always increasing);
    `any_channel=True` lets a test workspace know every channel id it is asked about (and
    every user id, and any unfurl domain).

    Views: `views` keeps every modal view the bot opened (by id, open or closed) and `stack`
    the open modal's views, root first, the one shown last; `homes` the Home tab each user
    was published (views.publish), `home_enabled` whether the app has a Home tab at all."""

    def __init__(
        self, *, clock: Callable[[], float] = time.time, any_channel: bool = False
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.any_channel = any_channel
        self.version = 0
        self.channels = dict(CHANNELS)
        self.messages: list[Message] = []
        self.files: dict[str, UploadedFile] = {}
        self.outbox: list[Email] = []
        self.activity: list[dict[str, Any]] = []
        self.responses: dict[str, ResponseTarget] = {}
        self.triggers: dict[str, float | None] = {}  # trigger_id -> issued (monotonic); None: used
        self.views: dict[str, OpenView] = {}
        self.stack: list[str] = []
        self.homes: dict[str, dict[str, Any]] = {}
        self.home_enabled = True
        self.unfurl_domains: tuple[str, ...] = ()  # the app's unfurl domains (chat.unfurl)
        self.unfurl_ids: dict[str, tuple[str, str]] = {}  # link_shared's unfurl_id -> message
        # what is being typed in a channel's composer, by its unfurl_id (its `ts`): the links
        # in it were shared with the app (source "composer"), which may preview them
        self.drafts: dict[str, Message] = {}
        self._last_us = 0

    def _changed(self) -> None:
        self.version += 1

    def next_ts(self) -> str:
        """A message ts: `clock()` to the microsecond, and later than every ts before it."""
        with self.lock:  # in whole microseconds: floats near 1.7e9 cannot add 1e-6 exactly
            self._last_us = max(int(self.clock() * 1_000_000), self._last_us + 1)
            seconds, micros = divmod(self._last_us, 1_000_000)
            return f"{seconds}.{micros:06d}"

    def resolve_channel(self, channel: object) -> str | None:
        """A channel id from an id, a name or a `#name`; None when there is no such channel."""
        if not isinstance(channel, str):
            return None
        with self.lock:
            if channel in self.channels:
                return channel
            if self.any_channel and CHANNEL_ID.fullmatch(channel):
                self.channels[channel] = channel.lower()
                self._changed()
                return channel
            name = channel.removeprefix("#")
            return next((cid for cid, cname in self.channels.items() if cname == name), None)

    def post(self, message: Message) -> Message:
        with self.lock:
            self.messages.append(message)
            self._changed()
        return message

    def find(self, channel: str, ts: str) -> Message | None:
        with self.lock:
            return next((m for m in self.messages if m.channel == channel and m.ts == ts), None)

    def replace(self, message: Message, *, text: str, blocks: list[dict[str, Any]]) -> None:
        with self.lock:
            message.text, message.blocks, message.edited = text, blocks, True
            self._changed()

    def delete(self, message: Message) -> None:
        with self.lock:
            if message in self.messages:
                self.messages.remove(message)
                self._changed()

    def history(self, channel: str) -> list[Message]:
        """The channel's public messages, newest first (ephemeral ones are not in history)."""
        with self.lock:
            found = [m for m in self.messages if m.channel == channel and not m.ephemeral]
        return sorted(found, key=lambda m: float(m.ts), reverse=True)

    def new_response_url(
        self, channel: str, original_ts: str | None = None, *, token: str | None = None
    ) -> str:
        """A response URL's token (`token`, when given, is handed out afresh: five uses again)."""
        token = token or secrets.token_urlsafe(12)
        with self.lock:
            self.responses[token] = ResponseTarget(channel, original_ts)
        return token

    def add_file(self, upload: UploadedFile) -> None:
        with self.lock:
            self.files[upload.id] = upload

    def has_file(self, *, file_id: str = "", url: str = "") -> bool:
        """An uploaded, completed file, by id or by a URL ending in its `/files/<id>` path."""
        if not file_id and "/files/" in url:
            file_id = url.rstrip("/").rsplit("/files/", 1)[1]
        with self.lock:
            upload = self.files.get(file_id)
            return upload is not None and upload.completed

    def knows_user(self, user: str) -> bool:
        """The sandbox's user; in a test workspace (`any_channel`), any well-formed user id."""
        return user == USER_ID or (self.any_channel and bool(USER_ID_SHAPE.fullmatch(user)))

    def receive_email(self, email: Email) -> None:
        with self.lock:
            self.outbox.append(email)
            self._changed()

    def issue_trigger(self, trigger_id: str) -> str:
        """Record a trigger_id handed to the bot with a command or a click."""
        with self.lock:
            self.triggers[trigger_id] = time.monotonic()
        return trigger_id

    def take_trigger(self, trigger_id: str) -> str | None:
        """Use `trigger_id` once: None when it may open a view, else Slack's error."""
        with self.lock:
            if trigger_id not in self.triggers:
                return "invalid_arguments"  # Slack: "invalid `trigger_id`"
            issued, self.triggers[trigger_id] = self.triggers[trigger_id], None
        if issued is None or time.monotonic() - issued > TRIGGER_SECONDS:
            return "expired_trigger_id"
        return None

    def open_view(self, view: dict[str, Any]) -> None:
        """Show `view` as a new modal (the sandbox has one user, so one modal: it replaces any
        other, with all of its stack)."""
        with self.lock:
            self._close(self.stack)
            self.views[view["id"]] = OpenView(view)
            self.stack = [view["id"]]
            self._changed()

    def push_view(self, view: dict[str, Any]) -> None:
        """Put `view` on top of the open modal's stack (the caller checked MAX_STACK)."""
        with self.lock:
            self.views[view["id"]] = OpenView(view)
            self.stack.append(view["id"])
            self._changed()

    def replace_view(self, view: dict[str, Any]) -> None:
        """`view` in place of the view with its id (views.update, `response_action: update`)."""
        with self.lock:
            if view.get("type") == "home":
                user = next((u for u, home in self.homes.items() if home["id"] == view["id"]), None)
                if user is not None:
                    self.homes[user] = view
            elif view["id"] in self.views:
                self.views[view["id"]].view = view
            self._changed()

    def close_view(self, view_id: str) -> None:
        """Close `view_id` and any view pushed on top of it; the one below it shows again."""
        with self.lock:
            if view_id in self.stack:
                at = self.stack.index(view_id)
                self._close(self.stack[at:])
                self.stack = self.stack[:at]
                self._changed()

    def clear_views(self) -> None:
        """Close the whole modal (`response_action: clear`, or a view's `clear_on_close`)."""
        with self.lock:
            self._close(self.stack)
            self.stack = []
            self._changed()

    def _close(self, view_ids: list[str]) -> None:
        for view_id in view_ids:
            found = self.views.get(view_id)
            if found is not None and found.closed is None:
                found.closed = time.monotonic()

    @property
    def modal(self) -> dict[str, Any] | None:
        """The view the modal shows: the top of the stack."""
        with self.lock:
            return self.views[self.stack[-1]].view if self.stack else None

    def shown_view(self, *, view_id: str = "", external_id: str = "") -> dict[str, Any] | None:
        """An open modal view or a published home, by its id or its external_id."""
        with self.lock:
            shown = [self.views[v].view for v in self.stack] + list(self.homes.values())
        for view in shown:
            if (view_id and view["id"] == view_id) or (
                external_id and view.get("external_id") == external_id
            ):
                return view
        return None

    def publish_home(self, user: str, view: dict[str, Any]) -> None:
        with self.lock:
            self.homes[user] = view
            self._changed()

    def draft(self, draft: Message) -> None:
        """`draft` is now what its channel's composer holds (an earlier draft there is gone)."""
        with self.lock:
            for key in [k for k, d in self.drafts.items() if d.channel == draft.channel]:
                del self.drafts[key]
            self.drafts[draft.ts] = draft
            self._changed()

    def drop_draft(self, unfurl_id: str) -> None:
        with self.lock:
            if self.drafts.pop(unfurl_id, None) is not None:
                self._changed()

    def _previews(self) -> dict[str, dict[str, Any]]:
        """The composers' unfurl previews, by unfurl_id."""
        return {key: {"channel": draft.channel, "attachments": draft.attachments()}
                for key, draft in self.drafts.items() if draft.unfurls}  # fmt: skip

    def attach_unfurls(self, message: Message, unfurls: dict[str, dict[str, Any]]) -> None:
        """Attach (or replace) the unfurls of `message`'s links, by URL."""
        with self.lock:
            message.unfurls = {**message.unfurls, **unfurls}
            self._changed()

    def submittable(self, view_id: str) -> OpenView | None:
        """The view if its Send still reaches the bot: open, or closed within RESUBMIT_SECONDS."""
        with self.lock:
            found = self.views.get(view_id)
        if found is None or (found.closed and time.monotonic() - found.closed > RESUBMIT_SECONDS):
            return None
        return found

    def log(self, kind: str, name: str, ok: bool, detail: str = "") -> None:
        with self.lock:
            entry = {"at": time.time(), "kind": kind, "name": name, "ok": ok, "detail": detail}
            self.activity = [*self.activity[-(KEEP_ACTIVITY - 1) :], entry]
            self._changed()

    def snapshot(self, since: int = -1) -> dict[str, Any]:
        """Everything the page shows, or only the version when nothing changed since `since`."""
        with self.lock:
            if since == self.version:
                return {"version": self.version, "unchanged": True}
            return {
                "version": self.version,
                "user": {"id": USER_ID, "name": USER_NAME},
                "bot": {"id": BOT_USER_ID, "name": BOT_NAME},
                "channels": [{"id": cid, "name": name} for cid, name in self.channels.items()],
                "messages": [m.to_view() for m in self.messages],
                "outbox": [e.to_view() for e in self.outbox],
                "activity": list(self.activity),
                "modal": self.modal,
                "modal_depth": len(self.stack),
                "home": self.homes.get(USER_ID),
                "drafts": self._previews(),
            }
