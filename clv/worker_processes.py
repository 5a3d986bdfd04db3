"""Worker processes that end with the process that started them, however it ends.

A worker left behind by a parent killed with SIGKILL would wait forever for work or on a
full queue, holding its memory and its files: the import's reader process
(clv.ingest.runner) and the scoring run's order-log readers (clv.scoring.sqlite_pieces)
call `end_with_parent` first thing.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from contextlib import suppress

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_CHECK_SECONDS = 0.5


def end_with_parent(parent: int) -> None:
    """In a worker started by process `parent`: end this process when `parent` is gone.

    On Linux the kernel sends SIGKILL when the parent dies (strictly, when the parent's thread
    that started this process ends: callers keep that thread until their workers are done);
    everywhere a daemon thread also checks, every PARENT_CHECK_SECONDS, that this process
    has not been handed to another parent.
    """
    if sys.platform.startswith("linux"):
        with suppress(OSError, AttributeError):  # no prctl: the watch below still ends it
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before this process got here
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)  # at once, without clean-up: a queue's feeder thread would wait on its pipe

    threading.Thread(target=watch, name="clvbot-parent-watch", daemon=True).start()
