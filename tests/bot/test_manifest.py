"""manifest.yml validates against SchemaStore's Slack app manifest schema (a copy of
../shared/schemas/slack-app-manifest.json) and matches what the bot registers."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from bot.slack.deps import Deps
from bot.slack.listeners import register_listeners
from bot.slack.listeners.lookup import EVENTS, GLOBAL_SHORTCUT, MESSAGE_SHORTCUT, SHORTCUTS
from bot.slack.server import EVENTS_PATH
from clv.links import parse_patterns
from clv.settings import Settings
from clv.store import make_engine

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PATTERNS = re.compile(r"UNFURL_PATTERNS=(\S.*)$", re.MULTILINE)


class Registrations:
    """Stands in for bolt's App in `register_listeners`: what is registered, by kind
    (`event`, `command`, `message_shortcut` ...) and its first argument."""

    def __init__(self) -> None:
        self.seen: dict[str, list[Any]] = defaultdict(list)

    def __getattr__(self, kind: str) -> Callable[..., Callable[..., None]]:
        def register(*args: Any, **kwargs: Any) -> Callable[..., None]:
            self.seen[kind].append(args[0] if args else None)
            return lambda *a, **k: None

        return register


def registered() -> dict[str, list[Any]]:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    engine = make_engine("sqlite://")
    try:
        app = Registrations()
        register_listeners(app, Deps(settings, engine))  # type: ignore[arg-type,unused-ignore]
        return app.seen
    finally:
        engine.dispose()


def load() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    return data


def test_manifest_is_valid() -> None:
    schema = json.loads((ROOT / "tests/fixtures/slack-app-manifest.json").read_text("utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.validate(load(), schema, cls=jsonschema.Draft7Validator)


def test_manifest_asks_only_for_what_the_bot_uses() -> None:
    manifest = load()
    # chat:write for answers, the digest and alerts, files:write for charts and exports,
    # *:history to find a digest or alert an interrupted attempt posted (exactly once), in
    # public and private channels, im:write to open the direct message an export goes to
    # links:read for link_shared and links:write for chat.unfurl (https://api.slack.com/events/link_shared)
    assert manifest["oauth_config"]["scopes"]["bot"] == [
        "commands", "chat:write", "files:write", "channels:history", "groups:history", "im:write",
        "links:read", "links:write",
    ]  # fmt: skip
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/clv"
    assert command["should_escape"] is False
    assert command["url"].endswith(EVENTS_PATH)
    assert manifest["settings"]["interactivity"]["request_url"].endswith(EVENTS_PATH)
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert len(manifest["display_information"]["name"]) <= 35


def test_manifest_subscribes_to_exactly_the_events_and_shortcuts_the_bot_listens_to() -> None:
    manifest, seen = load(), registered()
    events = manifest["settings"]["event_subscriptions"]
    assert events["request_url"].endswith(EVENTS_PATH)
    assert sorted(events["bot_events"]) == sorted(seen["event"]) == ["app_home_opened", *EVENTS]
    shortcuts = {s["type"]: s["callback_id"] for s in manifest["features"]["shortcuts"]}
    assert shortcuts == SHORTCUTS == {"message": MESSAGE_SHORTCUT, "global": GLOBAL_SHORTCUT}
    assert seen["message_shortcut"] == [MESSAGE_SHORTCUT]
    assert seen["global_shortcut"] == [GLOBAL_SHORTCUT]
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == seen["command"]
    home = manifest["features"]["app_home"]
    # the Messages tab shows the exports clvbot sends by direct message; read-only: the bot
    # listens to no message event there
    assert (home["home_tab_enabled"], home["messages_tab_enabled"]) == (True, True)
    assert home["messages_tab_read_only_enabled"] is True


def test_unfurl_domains_cover_the_example_patterns_of_env_example_and_the_readme() -> None:
    """Slack sends link_shared only for links on the app's unfurl domains or below them
    (https://api.slack.com/reference/messaging/link-unfurling#configuring_domains)."""
    domains = load()["features"]["unfurl_domains"]
    texts = [(ROOT / name).read_text("utf-8") for name in (".env.example", "README.md")]
    examples = [p for text in texts for m in EXAMPLE_PATTERNS.finditer(text)
                for p in parse_patterns(m.group(1).strip("`' \""))]  # fmt: skip
    assert examples, "no example UNFURL_PATTERNS found"
    for pattern in examples:
        assert any(pattern.domain == d or pattern.domain.endswith("." + d) for d in domains), (
            f"{pattern.text}: {pattern.domain} is not among the unfurl domains {domains}"
        )
