"""The fault suite's table: each case tried is rejected cleanly, handled, wrong or crashed.

Tests record outcomes here; the suite's terminal summary prints the table (tests/faults/conftest.py)
and each test asserts its own `wrong` and `crashed` are zero.
"""

from __future__ import annotations

from collections import Counter, defaultdict

OUTCOMES = ("tried", "rejected cleanly", "handled", "wrong", "crashed")
_table: dict[str, Counter[str]] = defaultdict(Counter)
_timings: dict[str, list[float]] = defaultdict(list)


def record(group: str, outcome: str) -> None:
    assert outcome in OUTCOMES[1:], outcome
    _table[group]["tried"] += 1
    _table[group][outcome] += 1


def record_time(what: str, seconds: float) -> None:
    _timings[what].append(seconds)


def counts(group: str) -> Counter[str]:
    return _table[group]


def lines() -> list[str]:
    """The table, then the measured times, as text lines."""
    if not _table and not _timings:
        return []
    width = max([len(group) for group in _table] + [10])
    out = [f"{'fault suite':<{width}}  " + "  ".join(f"{o:>16}" for o in OUTCOMES)]
    for group in sorted(_table):
        row = _table[group]
        out.append(f"{group:<{width}}  " + "  ".join(f"{row[o]:>16}" for o in OUTCOMES))
    for what in sorted(_timings):
        times = sorted(_timings[what])
        out.append(
            f"time {what}: n={len(times)} median {times[len(times) // 2]:.3f} s, "
            f"max {times[-1]:.3f} s"
        )
    return out
