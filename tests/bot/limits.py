"""Slack's Block Kit limits, checked on every message the bot produces."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block

from clv.present.blocks import block_text_size


def assert_within_limits(message: dict[str, Any]) -> None:
    blocks = message.get("blocks") or []
    assert message.get("text"), "no fallback text"
    assert len(message["text"]) <= 4000
    assert len(blocks) <= 50
    assert sum(block_text_size(b) for b in blocks) <= 12_000
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, f"unknown block type: {block}"
        parsed.to_dict()  # raises SlackObjectFormationError past a limit
        if block["type"] == "section":
            assert len(block.get("text", {}).get("text", "")) <= 3000
            assert len(block.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "actions":
            for element in block["elements"]:
                assert len(element["text"]["text"]) <= 75
                assert len(element["value"]) <= 2000


def all_text(message: dict[str, Any]) -> str:
    """Every text of a message, joined (for content assertions)."""
    parts = [str(message.get("text", ""))]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                if isinstance(value, dict | list):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks", []))
    return "\n".join(parts)


def mrkdwn_text(message: dict[str, Any]) -> str:
    """The texts Slack parses as mrkdwn: the fallback `text` and every mrkdwn object."""
    parts = [str(message.get("text", ""))]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks", []))
    return "\n".join(parts)
