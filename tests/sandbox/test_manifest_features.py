"""The sandbox offers the app's features as manifest.yml declares them: its shortcuts, its
unfurl domains (those of the demo's UNFURL_PATTERNS among them) and its App Home tabs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.cli.demo import DEMO_UNFURL_PATTERN
from bot.sandbox import SandboxConfig
from bot.sandbox.interactions import SHORTCUTS
from clv.links import parse_patterns

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


def features() -> dict[str, Any]:
    manifest: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return dict(manifest["features"])


def test_the_sandbox_offers_the_manifests_shortcuts() -> None:
    declared = {(s["type"], s["callback_id"], s["name"], s["description"])
                for s in features()["shortcuts"]}  # fmt: skip
    assert {(s.type, s.callback_id, s.name, s.description) for s in SHORTCUTS} == declared


def test_the_demos_links_unfurl_under_a_domain_of_the_manifest() -> None:
    (pattern,) = parse_patterns(DEMO_UNFURL_PATTERN)
    assert pattern.domain in features()["unfurl_domains"]
    config = SandboxConfig(bot_events_url="http://127.0.0.1:9/", signing_secret="s", bot_token="t")
    assert config.unfurl_domains == (pattern.domain,)


def test_the_sandbox_app_home_has_the_manifests_tabs() -> None:
    app_home = features()["app_home"]
    config = SandboxConfig(bot_events_url="http://127.0.0.1:9/", signing_secret="s", bot_token="t")
    assert (config.home_enabled, config.messages_tab) == (
        app_home["home_tab_enabled"], app_home["messages_tab_enabled"]
    )  # fmt: skip
