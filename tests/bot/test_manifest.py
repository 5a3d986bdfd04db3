"""manifest.yml validates against SchemaStore's Slack app manifest schema and matches the bot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from bot.slack.server import EVENTS_PATH

ROOT = Path(__file__).resolve().parents[2]


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
    assert manifest["oauth_config"]["scopes"]["bot"] == [
        "commands", "chat:write", "files:write", "channels:history", "groups:history", "im:write"
    ]  # fmt: skip
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/clv"
    assert command["should_escape"] is False
    assert command["url"].endswith(EVENTS_PATH)
    assert manifest["settings"]["interactivity"]["request_url"].endswith(EVENTS_PATH)
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert len(manifest["display_information"]["name"]) <= 35
