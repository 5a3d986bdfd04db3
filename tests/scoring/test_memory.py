"""The scoring process's malloc arenas (clv.scoring.memory): one, so that the memory freed by
the threads' reads and blocks is reused instead of adding to the peak."""

from __future__ import annotations

import ctypes.util
import subprocess
import sys

import pytest

# threads that allocate, then glibc's own count of its arenas (malloc_stats, on stderr)
ARENAS = """
import ctypes, ctypes.util, sys, threading
import numpy as np
if sys.argv[1] == "limited":
    from clv.scoring.memory import one_malloc_arena
    assert one_malloc_arena()
def work():
    for _ in range(20):
        np.ones(300_000).sum()
threads = [threading.Thread(target=work) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
ctypes.CDLL(ctypes.util.find_library("c")).malloc_stats()
"""


def arenas(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", ARENAS, mode], capture_output=True, text=True,
                          check=True, timeout=60)  # fmt: skip
    return done.stderr.count("Arena ")


def glibc() -> bool:
    name = ctypes.util.find_library("c")
    return bool(name) and hasattr(ctypes.CDLL(name), "gnu_get_libc_version")


@pytest.mark.skipif(not glibc(), reason="malloc arenas are glibc's")
def test_the_scoring_process_allocates_from_one_arena() -> None:
    assert arenas("default") > 1  # the threads made arenas of their own
    assert arenas("limited") == 1
