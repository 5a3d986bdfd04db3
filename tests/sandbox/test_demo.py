"""`clvbot demo`: the real bot, configured for local use only, behind the sandbox."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.cli.demo import RunningDemo, start_demo
from bot.sandbox import GENERAL_CHANNEL, bind
from clv.insights.lists import RankedCustomer


def command(url: str, text: str) -> dict[str, object]:
    body = json.dumps({"channel": GENERAL_CHANNEL, "text": text}).encode()
    request = urllib.request.Request(f"{url}/sandbox/command", data=body, method="POST",
                                     headers={"content-type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        result: dict[str, object] = json.loads(response.read())
    return result


def test_the_demo_answers_clv_through_the_real_bot(
    running_demo: RunningDemo, top_customer: RankedCustomer
) -> None:
    assert command(running_demo.url, f"/clv {top_customer.customer_id}")["ok"] is True
    card = running_demo.workspace.messages[-1]
    assert card.ephemeral
    assert card.blocks[0]["type"] == "header"
    assert card.blocks[0]["text"]["text"] == top_customer.name
    assert any(b["type"] == "actions" for b in card.blocks)


def test_the_demo_settings_keep_everything_local(running_demo: RunningDemo) -> None:
    settings = running_demo.settings
    assert running_demo.url.startswith("http://127.0.0.1:")
    assert settings.slack_api_url == f"{running_demo.url}/api/"
    assert settings.slack_app_token is None
    assert (settings.outreach_backend, settings.smtp_host) == ("smtp", "127.0.0.1")
    assert (settings.smtp_starttls, settings.smtp_from) == (False, "shop@example.com")
    assert settings.digest_channel == "C0CLVDIGEST"
    token = settings.slack_bot_token
    assert token is not None
    assert token.get_secret_value().startswith("xoxb-sandbox-")


def test_stopping_the_demo_frees_its_ports(tmp_path: Path) -> None:
    running = start_demo(port=0, customers=600, database=tmp_path / "demo.db")
    running.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{running.url}/sandbox/state", timeout=2)
    port = int(running.url.rsplit(":", 1)[1])
    bind(port).close()  # free again


def test_a_busy_port_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(app, ["demo", "--port", str(port)])
    assert result.exit_code == 1
    assert f"port {port} on 127.0.0.1 is in use: try `clvbot demo --port {port + 1}`" in (
        result.output
    )
    assert not (tmp_path / "clvbot-demo.db").exists()  # nothing was built
