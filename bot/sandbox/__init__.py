"""A local stand-in for Slack: a browser page that looks like a channel, speaking to the bot
exactly as Slack does (signed requests out; Web API, response URLs and file uploads in), plus a
local SMTP server whose emails show in an Outbox. Binds to 127.0.0.1 only; no network.

Demo code: its SMTP server, aiosmtpd, comes with the `demo` extra (`pip install 'clvbot[demo]'`),
and is imported here so that a missing extra fails when the sandbox is imported, not halfway
through starting the demo."""

import aiosmtpd  # noqa: F401  (the demo extra)

from bot.sandbox.app import SandboxConfig, build_sandbox
from bot.sandbox.outbox import Outbox
from bot.sandbox.serving import PortInUseError, ServerThread, bind
from bot.sandbox.workspace import ALERTS_CHANNEL, DIGEST_CHANNEL, GENERAL_CHANNEL, Workspace

__all__ = [
    "ALERTS_CHANNEL",
    "DIGEST_CHANNEL",
    "GENERAL_CHANNEL",
    "Outbox",
    "PortInUseError",
    "SandboxConfig",
    "ServerThread",
    "Workspace",
    "bind",
    "build_sandbox",
]
