"""`clvbot serve` as a real process: its own stderr log, killable, pointed at a fake Slack."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.bot.fake_slack import FakeSlack
from tests.bot.served import BOT_TOKEN, SECRET, SlackSender
from tests.helpers import CLVBOT, clvbot_env
from tests.smtp import free_port


class ServeProcess(SlackSender):
    """`clvbot serve --no-scheduler` on a free loopback port, logging to `log`."""

    def __init__(
        self,
        database_url: str,
        fake: FakeSlack,
        log: Path,
        *,
        obey_file_modes: bool = False,
        **env: Any,
    ) -> None:
        self.fake = fake
        self.log = log
        self.database_url = database_url
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        environment = clvbot_env(
            database_url,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_API_URL=f"{fake.url}/api/",
            **{key.upper(): str(value) for key, value in env.items()},
        )
        self._log_file = log.open("ab")
        command = [*CLVBOT, "serve", "--no-scheduler", "--host", "127.0.0.1", "--port", str(port)]
        if obey_file_modes and os.geteuid() == 0:
            # root reads any file: without these two capabilities it obeys modes like anyone
            command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
        self.process = subprocess.Popen(
            command, env=environment, stdout=self._log_file, stderr=subprocess.STDOUT,
            cwd=log.parent,
        )  # fmt: skip
        self._wait_until_listening()

    def _wait_until_listening(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"clvbot serve exited: {self.log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=5).close()
                return
            except urllib.error.HTTPError:
                return  # answering, with a 503: that is up
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("clvbot serve did not start listening")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()
