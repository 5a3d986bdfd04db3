"""Array work spread over the machine's cores, in threads.

numpy's and scipy's loops over large arrays release the GIL, so the blocks of rows of a pmf
table, or a range's two ends, computed in two threads take two cores. Each task writes or
returns its own part: the results are the serial loop's, bit for bit, in the same order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

CORES = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else
            (os.cpu_count() or 1), 4)  # fmt: skip
_pool = ThreadPoolExecutor(max_workers=CORES, thread_name_prefix="clvbot-arrays")


def each(function: Callable[[Item], Result], items: Iterable[Item]) -> list[Result]:
    """`function` of every item, in order; on more than one core, in threads (at most one
    task per core runs at a time, so memory holds at most that many tasks' temporaries)."""
    work = list(items)
    if CORES == 1 or len(work) < 2:
        return [function(item) for item in work]
    return list(_pool.map(function, work))
