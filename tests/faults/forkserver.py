"""`clvbot` commands in processes of their own, without paying the interpreter's start-up
each time: a server process imports clvbot once, then forks one child per command.

Each child runs the real entry point (`bot.cli.main`) with its own argv and environment and is
an ordinary process: the test can SIGKILL it at any moment. The server itself is single-
threaded, so forking it is safe.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.helpers import process_running

_SERVER = r"""
import json, os, sys
import bot.cli.imports, bot.cli.score  # the commands it runs, imported once
from bot.cli import main

children = {}
for line in sys.stdin:
    request = json.loads(line)
    if request["op"] == "run":
        pid = os.fork()
        if pid == 0:
            os.environ.update(request["env"])
            os.chdir(request["cwd"])
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            sys.argv = ["clvbot", *request["argv"]]
            code = 0
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                code = 99
            os._exit(code)
        children[pid] = None
        print(json.dumps({"pid": pid}), flush=True)
    elif request["op"] == "wait":
        _, status = os.waitpid(request["pid"], 0)
        print(json.dumps({"status": status}), flush=True)
"""


class ForkServer:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, bufsize=1,
        )  # fmt: skip

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        return answer

    def start(self, argv: list[str], env: dict[str, str], cwd: str) -> int:
        """The pid of a new process running `clvbot <argv>`."""
        return int(self._ask({"op": "run", "argv": argv, "env": env, "cwd": cwd})["pid"])

    @staticmethod
    def running(pid: int) -> bool:
        return process_running(pid)

    def wait(self, pid: int) -> int:
        """The exit code of `pid` once it has ended (-signal if a signal ended it)."""
        status = int(self._ask({"op": "wait", "pid": pid})["status"])
        return -(status & 0x7F) if status & 0x7F else status >> 8

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)
