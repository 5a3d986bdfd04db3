"""A second process holding a SQLite store's in-use guard, as another clvbot process does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from clv.store import inuse
from tests.helpers import process_running

# a second process that takes the guard as clvbot does, says "ready" and waits for its stdin
# (the guard's module alone, loaded from its file: it imports nothing of clvbot, and the store
# package would take seconds to import)
HOLDER = """
import importlib.util, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("inuse", sys.argv[3])
inuse = sys.modules["inuse"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(inuse)
try:
    if sys.argv[1] == "use":
        inuse.hold_shared(Path(sys.argv[2]))
    else:
        inuse.claim_for_rebuild(Path(sys.argv[2]))
except inuse.StoreInUseError as exc:
    print(exc, flush=True)
    sys.exit(3)
print("ready", flush=True)
sys.stdin.read()
"""


class Holder:
    """A process holding `database` ("use": as any clvbot process; "rebuild": claimed)."""

    def __init__(self, how: str, database: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, how, str(database), inuse.__file__],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        self.said = self.process.stdout.readline().strip()

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        assert not process_running(self.process.pid)


@contextmanager
def started_holders() -> Iterator[list[Holder]]:
    """A list to `hold` into; every holder still running at the end is killed."""
    started: list[Holder] = []
    try:
        yield started
    finally:
        for holder in started:
            if holder.process.poll() is None:
                holder.kill()


def hold(holders: list[Holder], how: str, database: Path) -> Holder:
    holders.append(Holder(how, database))
    return holders[-1]
