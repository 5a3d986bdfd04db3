"""Customers named in Slack: link unfurls (`link_shared` -> `chat.unfurl`), the message
shortcut "CLV of this customer", and the "Look up a customer" modal (global shortcut and the
App Home button `reports.home.OPEN_LOOKUP`). The callback ids are the manifest's."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.slack.deps import Deps
from bot.slack.listeners.lookup.message import answer_message
from bot.slack.listeners.lookup.modal import open_lookup, submit_lookup
from bot.slack.listeners.lookup.unfurl import unfurl_links
from bot.slack.render.lookup_modal import CALLBACK_ID as LOOKUP_MODAL
from reports.home import OPEN_LOOKUP

LINK_SHARED = "link_shared"
MESSAGE_SHORTCUT = "clv_of_message"  # "CLV of this customer", on a message's menu
GLOBAL_SHORTCUT = "clv_lookup"  # "Look up a customer", in the shortcuts menu
EVENTS = (LINK_SHARED,)
SHORTCUTS = {"message": MESSAGE_SHORTCUT, "global": GLOBAL_SHORTCUT}


def ack_at_once(ack: Ack) -> None:
    ack()


def register(app: App, deps: Deps) -> None:
    app.event(LINK_SHARED)(ack=ack_at_once, lazy=[unfurl_links(deps)])
    app.message_shortcut(MESSAGE_SHORTCUT)(ack=ack_at_once, lazy=[answer_message(deps)])
    app.global_shortcut(GLOBAL_SHORTCUT)(ack=ack_at_once, lazy=[open_lookup(deps)])
    app.action(OPEN_LOOKUP)(ack=ack_at_once, lazy=[open_lookup(deps)])
    app.view(LOOKUP_MODAL)(submit_lookup(deps))
