"""Run a `clvbot` command under cProfile in every thread; the merged stats go to a file at exit.

Each thread's profiler counts that thread's CPU time (`time.thread_time`), not the wall clock:
a thread waiting for the store, a lock or the GIL adds nothing.

    python bench/load_profile.py OUT.pstats .venv/bin/clvbot serve --port 3000

cProfile sees only the thread that enabled it, and `clvbot serve` answers in worker threads
(Starlette's thread pool, the store-read workers); `threading.setprofile` gives each new thread
a profiler of its own on its first call. bench_load.py starts a replica this way with
`--profile`; read the result with `python -m pstats OUT.pstats`.
"""

from __future__ import annotations

import atexit
import cProfile
import pstats
import runpy
import signal
import sys
import threading
import time
from typing import Any

profiles: list[cProfile.Profile] = []
lock = threading.Lock()


def _start_in_thread(_frame: Any, _event: str, _arg: Any) -> None:
    profile = cProfile.Profile(time.thread_time)
    with lock:
        profiles.append(profile)
    profile.enable()  # replaces this hook in this thread


def _dump(path: str) -> None:
    merged: pstats.Stats | None = None
    with lock:
        for profile in profiles:
            profile.disable()
            try:
                merged = pstats.Stats(profile) if merged is None else merged.add(profile)
            except TypeError:  # a thread that never ran Python code: no stats
                continue
    if merged is not None:
        merged.dump_stats(path)


def main() -> None:
    out, script, *args = sys.argv[1:]
    # uvicorn re-raises the SIGTERM it handled once it has shut down: exit through atexit
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    threading.setprofile(_start_in_thread)
    atexit.register(_dump, out)
    first = cProfile.Profile(time.thread_time)
    profiles.append(first)
    first.enable()
    sys.argv = [script, *args]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
