"""Where a scoring run's buffers live, so that its peak memory is what it holds, not what it
freed (peak RSS of `clvbot score` at 1M customers / 10M orders, bench/bench_score.py):

- pyarrow's buffers, while SQLite's order log is read and a run's scores written
  (clv.scoring.order_log, clv.scoring.stage), come from the system allocator, not pyarrow's
  default pool (jemalloc or mimalloc), which kept the freed buffers of the reads in the
  process: 1,314 MB with the default pool, 1,235 MB with this one (pyarrow's
  ARROW_DEFAULT_MEMORY_POOL=system does the same).
- glibc's malloc gives each thread that allocates under contention an arena of its own, and
  memory freed in one arena is not reused by another: the run's pieces read in threads
  (clv.scoring.order_log), the pmf blocks and the two ends of the ranges
  (clv.predictive._cores) left freed arrays in arenas the main thread never reuses. One
  arena for the process (glibc's M_ARENA_MAX, as the MALLOC_ARENA_MAX environment variable
  sets it; https://www.gnu.org/software/libc/manual/html_node/Memory-Allocation-Tunables.html)
  lowered the peak (the process's VmHWM) from 1,053 MB to 975 MB at the same speed (19.6 s
  and 20.0 s for the run). Without glibc (macOS, musl) nothing changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from functools import cache

log = logging.getLogger(__name__)
M_ARENA_MAX = -8  # glibc's malloc.h


@cache
def use_system_memory() -> None:
    """Make the system allocator pyarrow's default pool (once per process)."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


@cache
def one_malloc_arena() -> bool:
    """Limit glibc's malloc to one arena for the rest of the process (arenas already made
    stay); False where there is no glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = getattr(libc, "mallopt", None)
        gnu = getattr(libc, "gnu_get_libc_version", None)
    except OSError:
        return False
    if mallopt is None or gnu is None:  # not glibc: its M_ARENA_MAX means nothing there
        return False
    done = bool(mallopt(ctypes.c_int(M_ARENA_MAX), ctypes.c_int(1)))
    log.debug("malloc arenas limited to one: %s", done)
    return done
