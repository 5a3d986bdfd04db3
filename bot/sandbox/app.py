"""The sandbox web app: the page, its JSON endpoints, and the Slack endpoints the bot talks to.

Browser side: `GET /` (the page), `GET /sandbox/state?since=N` (polled), `POST /sandbox/command`
(a /command, or a message, whose links may be shared with the bot), `POST /sandbox/action` (a
button in a message, a modal or the Home tab), `POST /sandbox/view` (a modal's Send or Cancel),
`POST /sandbox/home` (the App Home opened), `POST /sandbox/shortcut`, `POST /sandbox/compose`
(links typed in the composer), `POST /sandbox/digest`.
Bot side (bot.sandbox.botside): `/api/<method>` (the Web API), `POST /respond/<token>`
(response URLs), `POST /upload/<file id>` and `GET /files/<file id>`.

Tests give the config a `Recorder` (every bot-side request, as received) and `Faults` (rate
limits, server errors, refusals and slow answers instead of the usual answer); the demo has
neither.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.sandbox.botside import BotSide
from bot.sandbox.deliver import Delivery, deliver
from bot.sandbox.faults import Faults
from bot.sandbox.interactions import SHORTCUTS, Shortcut
from bot.sandbox.links import escape, to_slack_text
from bot.sandbox.modals import missing_required, to_state, to_view_closed, to_view_submission
from bot.sandbox.recorder import Recorder
from bot.sandbox.responses import apply_response, to_ack_message
from bot.sandbox.signing import FORM, to_action_body, to_block_action, to_command_body
from bot.sandbox.submit import Outcome, after_submit
from bot.sandbox.surfaces import Surfaces
from bot.sandbox.workspace import DIGEST_CHANNEL, USER_ID, Message, Workspace

SLACKBOT = "USLACKBOT"
DEMO_UNFURL_DOMAINS = ("admin.shopify.com",)  # the demo's UNFURL_PATTERNS (bot.cli.demo)


@dataclass(frozen=True)
class SandboxConfig:
    bot_events_url: str  # the bot's POST /slack/events
    signing_secret: str
    bot_token: str
    base_url: str | None = None  # how the bot reaches the sandbox; default: the request's
    digest_channel: str = DIGEST_CHANNEL
    on_post_digest: Callable[[str], str] | None = None  # channel id -> a short status text
    smtp_port: int | None = None
    ack_timeout: float = 3.0  # Slack gives up after 3 s: operation_timeout
    commands: tuple[str, ...] = ("/clv",)
    recorder: Recorder | None = None
    faults: Faults | None = None
    # Socket Mode: the app-level token `apps.connections.open` answers, and the WebSocket URL
    # it hands out (https://api.slack.com/methods/apps.connections.open); None: HTTP only
    app_token: str | None = None
    socket_mode_url: str | None = None
    # the app's features, as its manifest lists them: unfurl domains (a message's links under
    # them are shared with the bot), shortcuts, and whether it has a Home tab
    unfurl_domains: tuple[str, ...] = DEMO_UNFURL_DOMAINS
    shortcuts: tuple[Shortcut, ...] = SHORTCUTS
    home_enabled: bool = True
    messages_tab: bool = True  # the App Home's Messages tab (read-only, as the manifest's)
    examples: tuple[str, ...] = ()  # more composer hints (the demo's customer link ...)


def _find_element(
    message: Message, block_id: str, action_id: str
) -> tuple[dict[str, Any], int | None] | None:
    """The button, and the attachment (an unfurl's `id`) it is in, or None for the message's
    own blocks."""
    places = [(message.blocks, None)]
    places += [(a.get("blocks") or [], a["id"]) for a in message.attachments()]
    for blocks, attachment in places:
        for block in blocks:
            if block.get("block_id") != block_id:
                continue
            for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
                if isinstance(element, dict) and element.get("action_id") == action_id:
                    return element, attachment
    return None


class Sandbox:
    """The page's endpoints over one workspace (the bot's are `bot_side`'s): each method
    answers one route."""

    def __init__(self, config: SandboxConfig, workspace: Workspace) -> None:
        self.config, self.ws = config, workspace
        self.surfaces = Surfaces(self)
        self.bot_side = BotSide(self)

    def base_url(self, request: Request) -> str:
        return self.config.base_url or str(request.base_url)

    def notice(self, channel: str, text: str) -> None:
        self.ws.post(
            Message(self.ws.next_ts(), channel, SLACKBOT, text, ephemeral=True, via="slackbot")
        )

    def settle(self, delivery: Delivery, token: str, what: str, channel: str, *, ack: bool) -> None:
        if delivery.error:
            self.ws.log("request", what, False, delivery.error)
            self.notice(channel, f'{what.split(" ")[0]} failed with the error "{delivery.error}"')
            return
        self.ws.log("request", what, True, f"acknowledged ({delivery.status})")
        message = to_ack_message(delivery.status, delivery.body, delivery.content_type)
        if ack and message is not None:
            apply_response(self.ws, token, message, via="acknowledgement")

    async def page(self, _request: Request) -> Response:
        return HTMLResponse((files("bot.sandbox") / "static" / "index.html").read_text("utf-8"))

    async def state(self, request: Request) -> Response:
        since = int(request.query_params.get("since") or -1)
        snapshot = self.ws.snapshot(since)
        if snapshot.get("unchanged"):
            return JSONResponse(snapshot)
        snapshot["config"] = {
            "digest_channel": self.config.digest_channel,
            "digest_wired": self.config.on_post_digest is not None,
            "smtp_port": self.config.smtp_port,
            "commands": list(self.config.commands),
            "shortcuts": [s.to_view() for s in self.config.shortcuts],
            "unfurl_domains": list(self.config.unfurl_domains),
            "home_enabled": self.config.home_enabled,
            "messages_tab": self.config.messages_tab,
            "examples": list(self.config.examples),
        }
        return JSONResponse(snapshot)

    async def command(self, request: Request) -> Response:
        data = await request.json()
        channel = self.ws.resolve_channel(data.get("channel"))
        text = str(data.get("text") or "").strip()
        if channel is None or not text:
            return JSONResponse({"ok": False, "error": "channel and text are needed"}, 400)
        self.ws.drop_draft(str(data.get("draft") or ""))  # the composer is empty again
        if not text.startswith("/"):  # a message, posted as the user; its links may unfurl
            message = Message(self.ws.next_ts(), channel, USER_ID, to_slack_text(text), via="you")
            self.ws.post(message)
            await self.surfaces.share_links(message)
            return JSONResponse({"ok": True, "ts": message.ts})
        name, _, rest = text.partition(" ")
        if name not in self.config.commands:
            self.notice(channel, f"`{escape(name)}` is not a valid command.")
            return JSONResponse({"ok": False, "error": "unknown_command"})
        token = self.ws.new_response_url(channel)
        body = to_command_body(
            command=name,
            text=rest.strip(),
            channel_id=channel,
            channel_name=self.ws.channels[channel],
            response_url=f"{self.base_url(request)}respond/{token}",
        )
        delivery = await self.deliver(body)
        self.settle(delivery, token, text, channel, ack=True)
        return JSONResponse({"ok": delivery.error is None, "error": delivery.error})

    async def action(self, request: Request) -> Response:
        data = await request.json()
        if data.get("view_id"):  # in the Home tab or a modal
            return await self.surfaces.view_action(data)
        channel = self.ws.resolve_channel(data.get("channel")) or ""
        message = self.ws.find(channel, str(data.get("ts")))
        block_id, action_id = str(data.get("block_id")), str(data.get("action_id"))
        found = _find_element(message, block_id, action_id) if message else None
        if message is None or found is None:
            return JSONResponse({"ok": False, "error": "no such button"}, 404)
        element, attachment = found
        token = self.ws.new_response_url(channel, original_ts=message.ts)
        payload = to_block_action(
            message,
            element,
            block_id,
            channel_name=self.ws.channels[channel],
            response_url=f"{self.base_url(request)}respond/{token}",
            attachment_id=attachment,
        )
        self.ws.issue_trigger(payload["trigger_id"])  # views.open takes it within 3 s
        delivery = await self.deliver(to_action_body(payload))
        label = (element.get("text") or {}).get("text") or action_id
        self.settle(delivery, token, f"click “{label}”", channel, ack=False)
        return JSONResponse({"ok": delivery.error is None, "error": delivery.error})

    async def view(self, request: Request) -> Response:
        """A modal's Send (a `view_submission` to the bot) or Cancel. Send works until the
        bot's acknowledgement closes the modal, and for a moment after: a double submit
        reaches the bot twice, as it can in Slack. An empty required input is not sent: the
        page shows Slack's "Please complete this required field." under it."""
        data = await request.json()
        found = self.ws.submittable(str(data.get("view_id")))
        action = data.get("action")
        if found is None or action not in ("submit", "close"):
            return JSONResponse({"ok": False, "error": "no such view"}, 404)
        title = str((found.view.get("title") or {}).get("text") or "modal")
        if action == "close":
            return await self.cancel(found.view, title)
        values = to_state(found.view, data.get("values"))
        missing = missing_required(found.view, values)
        if missing:
            return JSONResponse({"ok": False, "closed": False, "errors": missing})
        submitted = {**found.view, "state": {"values": values}}
        payload = to_view_submission(submitted)
        self.ws.issue_trigger(payload["trigger_id"])
        delivery = await self.deliver(to_action_body(payload))
        if delivery.error:  # Slack keeps the modal open and says it could not connect
            self.ws.log("request", f"submit “{title}”", False, delivery.error)
            return JSONResponse({"ok": False, "error": delivery.error, "closed": False})
        outcome: Outcome = after_submit(self.ws, submitted, delivery)
        self.ws.log("request", f"submit “{title}”", outcome.error is None, outcome.detail)
        answer: dict[str, Any] = {"ok": outcome.error is None, "closed": outcome.closed}
        if outcome.errors:
            answer["errors"] = outcome.errors
        if outcome.error:
            answer["error"] = outcome.error
        return JSONResponse(answer)

    async def cancel(self, view: dict[str, Any], title: str) -> Response:
        """Cancel (or Back, on a pushed view): that view closes, or the whole modal when it
        asked for `clear_on_close`; `view_closed` goes to the bot when it set
        `notify_on_close`."""
        if view.get("clear_on_close"):
            self.ws.clear_views()
        else:
            self.ws.close_view(view["id"])
        if view.get("notify_on_close"):
            await self.deliver(to_action_body(to_view_closed(view)))
        self.ws.log("request", f"cancel “{title}”", True, "closed")
        return JSONResponse({"ok": True, "closed": True})

    async def deliver(self, body: str, *, content_type: str = FORM) -> Delivery:
        return await run_in_threadpool(
            deliver,
            self.config.bot_events_url,
            self.config.signing_secret,
            body,
            timeout=self.config.ack_timeout,
            content_type=content_type,
        )

    async def digest(self, _request: Request) -> Response:
        hook = self.config.on_post_digest
        if hook is None:
            status, ok = "No digest job is wired into this sandbox yet.", False
        else:
            try:
                status, ok = await run_in_threadpool(hook, self.config.digest_channel), True
            except Exception as exc:  # shown to the person trying the demo, not raised
                status, ok = f"The digest job failed: {exc}", False
        self.ws.log("digest", "post this week's digest", ok, status)
        return JSONResponse({"ok": ok, "status": status})


def build_sandbox(config: SandboxConfig, workspace: Workspace | None = None) -> Starlette:
    ws = workspace or Workspace()
    ws.home_enabled, ws.unfurl_domains = config.home_enabled, config.unfurl_domains
    sandbox = Sandbox(config, ws)
    app = Starlette(
        routes=[
            Route("/", sandbox.page),
            Route("/sandbox/state", sandbox.state),
            Route("/sandbox/command", sandbox.command, methods=["POST"]),
            Route("/sandbox/action", sandbox.action, methods=["POST"]),
            Route("/sandbox/view", sandbox.view, methods=["POST"]),
            Route("/sandbox/home", sandbox.surfaces.home, methods=["POST"]),
            Route("/sandbox/shortcut", sandbox.surfaces.shortcut, methods=["POST"]),
            Route("/sandbox/compose", sandbox.surfaces.compose, methods=["POST"]),
            Route("/sandbox/digest", sandbox.digest, methods=["POST"]),
            Route("/api/{method}", sandbox.bot_side.api, methods=["GET", "POST"]),
            Route("/respond/{token}", sandbox.bot_side.respond, methods=["POST"]),
            Route("/upload/{file_id}", sandbox.bot_side.upload, methods=["POST"]),
            Route("/files/{file_id}", sandbox.bot_side.file),
            Mount("/static", StaticFiles(packages=[("bot.sandbox", "static")]), name="static"),
        ]
    )
    app.state.workspace = ws
    app.state.recorder = config.recorder
    app.state.faults = config.faults
    return app
