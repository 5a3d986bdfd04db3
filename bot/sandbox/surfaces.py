"""The page's App Home tab, shortcuts, clicks in views and shared links, delivered to the bot.

Each endpoint turns what the person did into the request Slack would send (bot.sandbox.events
for Events API events, bot.sandbox.interactions for interaction payloads), signed, with a
trigger_id issued where Slack gives one (the bot may open a modal with it within 3 s).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.sandbox.deliver import Delivery
from bot.sandbox.events import (
    JSON,
    composer_unfurl_id,
    home_channel,
    to_app_home_opened,
    to_event_body,
    to_event_callback,
    to_link_shared,
    unfurl_id,
)
from bot.sandbox.interactions import to_global_shortcut, to_message_action, to_view_action
from bot.sandbox.links import shared_links, to_slack_text
from bot.sandbox.modals import block_key, elements_of, to_state
from bot.sandbox.signing import to_action_body
from bot.sandbox.workspace import BOT_NAME, GENERAL_CHANNEL, USER_ID, Message

if TYPE_CHECKING:
    from bot.sandbox.app import Sandbox

TABS = ("home", "messages")


def find_in_view(view: dict[str, Any], block_id: str, action_id: str) -> dict[str, Any] | None:
    """The element `action_id` of block `block_id` (bot.sandbox.modals.block_key) in a view:
    its buttons and selects."""
    for n, block in enumerate(view.get("blocks") or []):
        if block_key(block, n) != block_id:
            continue
        for element in elements_of(block):
            if element.get("action_id") == action_id:
                return element
    return None


def _answer(delivery: Delivery, **more: Any) -> Response:
    return JSONResponse({"ok": delivery.error is None, "error": delivery.error, **more})


class Surfaces:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox, self.ws, self.config = sandbox, sandbox.ws, sandbox.config

    def log(self, what: str, delivery: Delivery) -> None:
        detail = delivery.error or f"acknowledged ({delivery.status})"
        self.ws.log("request", what, delivery.error is None, detail)

    async def home(self, request: Request) -> Response:
        """The person opened the app's Home or Messages tab: `app_home_opened`, each time."""
        tab = str((await request.json()).get("tab") or "home")
        if tab not in TABS or (tab == "messages" and not self.config.messages_tab):
            return JSONResponse({"ok": False, "error": "no such tab"}, 404)
        channel = home_channel(USER_ID)
        if tab == "messages":
            with self.ws.lock:
                self.ws.channels.setdefault(channel, BOT_NAME)
        event = to_app_home_opened(USER_ID, tab, self.ws.homes.get(USER_ID))
        body = to_event_body(to_event_callback(event))
        delivery = await self.sandbox.deliver(body, content_type=JSON)
        self.log(f"event app_home_opened ({tab})", delivery)
        return _answer(delivery, channel=channel)

    async def shortcut(self, request: Request) -> Response:
        """A global shortcut (from the ⚡ menu) or a message shortcut (a message's ⋯ menu)."""
        data = await request.json()
        callback_id = str(data.get("callback_id"))
        found = next((s for s in self.config.shortcuts if s.callback_id == callback_id), None)
        if found is None:
            return JSONResponse({"ok": False, "error": "no such shortcut"}, 404)
        channel = self.ws.resolve_channel(data.get("channel")) or GENERAL_CHANNEL
        token = ""
        if found.type == "message":
            message = self.ws.find(channel, str(data.get("ts")))
            if message is None:
                return JSONResponse({"ok": False, "error": "no such message"}, 404)
            token = self.ws.new_response_url(channel)
            url = f"{self.sandbox.base_url(request)}respond/{token}"
            name = self.ws.channels[channel]
            payload = to_message_action(message, callback_id, channel_name=name, response_url=url)
        else:
            payload = to_global_shortcut(callback_id)
        self.ws.issue_trigger(payload["trigger_id"])
        delivery = await self.sandbox.deliver(to_action_body(payload))
        self.sandbox.settle(delivery, token, f"shortcut “{found.name}”", channel, ack=False)
        return _answer(delivery)

    async def view_action(self, data: dict[str, Any]) -> Response:
        """A button or select in the Home tab or a modal: `block_actions` with the view."""
        view = self.ws.shown_view(view_id=str(data.get("view_id")))
        block_id, action_id = str(data.get("block_id")), str(data.get("action_id"))
        element = find_in_view(view, block_id, action_id) if view else None
        if view is None or element is None:
            return JSONResponse({"ok": False, "error": "no such button"}, 404)
        payload = to_view_action(view, element, block_id, to_state(view, data.get("values")))
        self.ws.issue_trigger(payload["trigger_id"])
        delivery = await self.sandbox.deliver(to_action_body(payload))
        label = (element.get("text") or {}).get("text") or action_id
        self.log(f"click “{label}” ({view['type']})", delivery)
        return _answer(delivery)

    async def share_links(self, message: Message) -> None:
        """`link_shared` for a posted message with links under the app's unfurl domains."""
        links = shared_links(message.text, self.config.unfurl_domains)
        if not links:
            return
        with self.ws.lock:
            self.ws.unfurl_ids[unfurl_id(message)] = (message.channel, message.ts)
        body = to_event_body(to_event_callback(to_link_shared(message, links)))
        delivery = await self.sandbox.deliver(body, content_type=JSON)
        self.log(f"event link_shared ({len(links)} link{'s' * (len(links) > 1)})", delivery)

    async def compose(self, request: Request) -> Response:
        """The person typed links under the app's unfurl domains: Slack shares them from the
        composer already (`link_shared`, source "composer"), before anything is posted."""
        data = await request.json()
        channel = self.ws.resolve_channel(data.get("channel"))
        text = to_slack_text(str(data.get("text") or ""))
        links = shared_links(text, self.config.unfurl_domains)
        if channel is None or not links:
            return JSONResponse({"ok": False, "error": "no links to share"})
        draft = Message(composer_unfurl_id(USER_ID), channel, USER_ID, text, via="composer")
        self.ws.draft(draft)
        event = to_link_shared(draft, links, composing=True)
        delivery = await self.sandbox.deliver(to_event_body(to_event_callback(event)),
                                              content_type=JSON)  # fmt: skip
        self.log(f"event link_shared (composer, {len(links)} link{'s' * (len(links) > 1)})",
                 delivery)  # fmt: skip
        return _answer(delivery, unfurl_id=draft.ts)
