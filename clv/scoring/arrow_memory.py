"""Where pyarrow's buffers live while SQLite's order log is read and a run's scores written
(clv.scoring.order_log, clv.scoring.stage): in the system allocator, not pyarrow's default
pool (jemalloc or mimalloc), which kept the freed buffers of the reads in the process: peak
RSS of a 1M-customer run 1,314 MB with the default pool, 1,235 MB with this one
(bench_score.py; pyarrow's ARROW_DEFAULT_MEMORY_POOL=system does the same)."""

from __future__ import annotations

from functools import cache


@cache
def use_system_memory() -> None:
    """Make the system allocator pyarrow's default pool (once per process)."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())
