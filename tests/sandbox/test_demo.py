"""`clvbot demo`: the real bot, configured for local use only, behind the sandbox."""

from __future__ import annotations

import json
import queue
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.cli.demo import DEMO_ADMIN, RunningDemo, start_demo
from bot.sandbox import GENERAL_CHANNEL, bind
from bot.sandbox.workspace import USER_ID
from clv.insights.lists import RankedCustomer
from clv.links import CustomerLink, customer_link, parse_patterns
from clv.store.inuse import claim_for_rebuild
from tests.helpers import CLVBOT, clvbot_env


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


def test_the_demo_unfurls_its_admin_links_and_lets_the_user_subscribe(
    running_demo: RunningDemo, top_customer: RankedCustomer
) -> None:
    settings = running_demo.settings
    assert settings.slack_admin_users == USER_ID  # /clv subscribe works in the demo
    link = f"{DEMO_ADMIN}{top_customer.customer_id}"
    assert customer_link(link, parse_patterns(settings.unfurl_patterns)) == CustomerLink(
        "id", top_customer.customer_id
    )
    state = json.loads(urllib.request.urlopen(f"{running_demo.url}/sandbox/state").read())
    assert state["config"]["unfurl_domains"] == ["admin.shopify.com"]
    assert link in state["config"]["examples"]  # the hint to paste


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


READY = re.compile(r"sandbox ready in .* open (http://127\.0\.0\.1:\d+)")


@dataclass
class DemoProcess:
    """`clvbot demo` in a process of its own, as `make demo` runs it, in `directory`."""

    process: subprocess.Popen[str]
    directory: Path
    url: str
    output: list[str]

    @property
    def database(self) -> Path:
        return self.directory / "clvbot-demo.db"


def clvbot(directory: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLVBOT, *args], cwd=directory, env=clvbot_env("sqlite:///unused.db"),
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def start_demo_process(directory: Path, timeout: float = 180) -> DemoProcess:
    process = subprocess.Popen(
        [*CLVBOT, "demo", "--port", "0", "--customers", "600"], cwd=directory,
        env=clvbot_env("sqlite:///unused.db"), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    output: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            output.append(lines.get(timeout=1))
        except queue.Empty:
            assert process.poll() is None, "".join(output)
            continue
        if ready := READY.search(output[-1]):
            return DemoProcess(process, directory, ready[1], output)
    process.kill()
    raise AssertionError(f"the demo did not start within {timeout} s:\n{''.join(output)}")


@pytest.fixture(scope="module")
def demo_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoProcess]:
    demo = start_demo_process(tmp_path_factory.mktemp("make-demo"))
    yield demo
    if demo.process.poll() is None:
        demo.process.send_signal(signal.SIGTERM)
        demo.process.wait(60)


def test_walkthrough_while_the_demo_runs_leaves_the_demo_store_alone(
    demo_process: DemoProcess,
) -> None:
    before = demo_process.database.stat()

    walkthrough = clvbot(demo_process.directory, "walkthrough")  # `make walkthrough`

    assert walkthrough.returncode == 0, walkthrough.stderr
    after = demo_process.database.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert (demo_process.directory / "clvbot-walkthrough.db").exists()
    assert command(demo_process.url, "/clv dormant")["ok"] is True  # the demo answers on


def test_a_store_the_running_demo_holds_is_refused_not_deleted(
    demo_process: DemoProcess,
) -> None:
    before = demo_process.database.stat().st_ino
    in_use = "clvbot-demo.db is in use by another clvbot process: stop it first"

    walkthrough = clvbot(demo_process.directory, "walkthrough", "--database", "clvbot-demo.db")
    second_demo = clvbot(demo_process.directory, "demo", "--port", "0", timeout=60)

    for refused in (walkthrough, second_demo):
        assert refused.returncode == 1, refused.stdout
        assert in_use in refused.stderr
        assert "Traceback" not in refused.stderr
    assert demo_process.database.stat().st_ino == before
    assert command(demo_process.url, "/clv dormant")["ok"] is True


def test_once_the_demo_stops_its_store_may_be_rebuilt(tmp_path: Path) -> None:
    demo = start_demo_process(tmp_path)
    demo.process.send_signal(signal.SIGTERM)  # what Ctrl-C does, too
    assert demo.process.wait(60) == 0

    with claim_for_rebuild(demo.database) as claim:  # what the walkthrough or a demo does
        claim.delete_files()
    assert not demo.database.exists()
