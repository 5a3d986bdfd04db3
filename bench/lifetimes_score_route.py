"""The lifetimes 0.11.3 scoring route on an order log, for `bench/bench_score.py`.

Run with the benchmark-only venv (never a clvbot dependency)::

    bench/.venv-lifetimes/bin/python bench/lifetimes_score_route.py orders.npz --as-of 2024-12-31

The .npz holds one entry per order: ``customer_id`` (int), ``at_us`` (UTC microseconds since
1970-01-01) and ``amount_minor`` (cents). Loading it into a pandas DataFrame is not timed; the
timed route is what a lifetimes user writes to score every customer:

1. ``summary_data_from_transaction_data`` (purchase days, monetary value of the repeat days);
2. ``BetaGeoFitter().fit`` on every customer;
3. ``GammaGammaFitter().fit`` on the repeat customers with a positive monetary value;
4. ``customer_lifetime_value`` for every customer (12 months, 1 % monthly discount, days).

Prints one ``RESULT {json}`` line: seconds per step and in all, peak RSS of the process
(``ru_maxrss``, loading included) and RSS right after loading, fitted parameters and checks.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from typing import Any

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data


def rss_now_mb() -> float:
    """Current resident set size of this process, from /proc (Linux)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def load(path: str) -> pd.DataFrame:
    data = np.load(path)
    return pd.DataFrame(
        {
            "customer_id": data["customer_id"],
            "date": pd.to_datetime(data["at_us"], unit="us"),
            "amount": data["amount_minor"] / 100.0,
        }
    )


def route(df: pd.DataFrame, as_of: str) -> dict[str, Any]:
    steps: dict[str, float] = {}
    t0 = time.perf_counter()
    s = summary_data_from_transaction_data(
        df, "customer_id", "date", monetary_value_col="amount", observation_period_end=as_of
    )
    t1 = time.perf_counter()
    steps["summary"] = t1 - t0
    # trap: s["T"] is the column, s.T would be the transpose
    bgf = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    t2 = time.perf_counter()
    steps["bgnbd_fit"] = t2 - t1
    repeat = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    t3 = time.perf_counter()
    steps["gammagamma_fit"] = t3 - t2
    clv = ggf.customer_lifetime_value(
        bgf,
        s["frequency"],
        s["recency"],
        s["T"],
        s["monetary_value"],
        time=12,
        discount_rate=0.01,
        freq="D",
    )
    t4 = time.perf_counter()
    steps["clv"] = t4 - t3
    return {
        "seconds": t4 - t0,
        "steps": steps,
        "customers": len(s),
        "repeat_customers": int((s["frequency"] > 0).sum()),
        "frequency_sum": int(s["frequency"].sum()),
        "bgnbd": {k: float(v) for k, v in bgf.params_.items()},
        "gammagamma": {k: float(v) for k, v in ggf.params_.items()},
        "clv_sum": float(clv.sum()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", help=".npz with customer_id, at_us, amount_minor")
    ap.add_argument("--as-of", default="2024-12-31")
    args = ap.parse_args()
    t0 = time.perf_counter()
    df = load(args.data)
    load_seconds = time.perf_counter() - t0
    rss_loaded = rss_now_mb()
    out = route(df, args.as_of)
    out["load_seconds"] = load_seconds
    out["rss_after_load_mb"] = rss_loaded
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
