"""pymc-marketing's scoring route (MAP fits of BG/NBD and Gamma-Gamma) on an order log, for
`bench/bench_score.py`.

Run with the benchmark-only venv (never a clvbot dependency)::

    python -m venv bench/.venv-pymc && bench/.venv-pymc/bin/pip install pymc-marketing
    bench/.venv-pymc/bin/python bench/pymc_score_route.py orders.npz --as-of 2024-12-31

The .npz is bench_score's (see bench/lifetimes_score_route.py); loading it is not timed. The
timed route: `rfm_summary` (purchase days, monetary value of the repeat days), `BetaGeoModel`
fitted by MAP on every customer, `GammaGammaModel` by MAP on the repeat customers with a
positive monetary value, and `customer_lifetime_value` (12 months, 1 % monthly discount, in
days) for every customer, evaluated at the MAP point. Prints one ``RESULT {json}`` line.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")


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
    from pymc_marketing.clv import (
        BetaGeoModel,
        GammaGammaModel,
        customer_lifetime_value,
        rfm_summary,
    )

    steps: dict[str, float] = {}
    t0 = time.perf_counter()
    s = rfm_summary(df, "customer_id", "date", monetary_value_col="amount",
                    observation_period_end=as_of)  # fmt: skip
    t1 = time.perf_counter()
    steps["summary"] = t1 - t0
    bg = BetaGeoModel(data=s[["customer_id", "frequency", "recency", "T"]])
    bg.fit(method="map", progressbar=False)
    t2 = time.perf_counter()
    steps["bgnbd_fit"] = t2 - t1
    repeat = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    gg = GammaGammaModel(data=repeat[["customer_id", "frequency", "monetary_value"]])
    gg.fit(method="map", progressbar=False)
    t3 = time.perf_counter()
    steps["gammagamma_fit"] = t3 - t2
    spend = gg.expected_customer_spend(data=repeat)
    value = repeat.assign(future_spend=np.asarray(spend.mean(("chain", "draw"))))
    clv = customer_lifetime_value(bg, value.drop(columns="monetary_value").rename(
        columns={"future_spend": "future_spend"}), future_t=12, discount_rate=0.01,
        time_unit="D")  # fmt: skip
    t4 = time.perf_counter()
    steps["clv"] = t4 - t3
    posterior = bg.idata.posterior
    return {
        "seconds": t4 - t0,
        "steps": steps,
        "customers": len(s),
        "repeat_customers": int((s["frequency"] > 0).sum()),
        "frequency_sum": int(s["frequency"].sum()),
        "bgnbd": {k: float(posterior[k].mean()) for k in ("r", "alpha", "a", "b")},
        "gammagamma": {k: float(gg.idata.posterior[k].mean()) for k in ("p", "q", "v")},
        "clv_sum": float(clv.mean(("chain", "draw")).sum()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", help=".npz with customer_id, at_us, amount_minor")
    ap.add_argument("--as-of", default="2024-12-31")
    args = ap.parse_args()
    t0 = time.perf_counter()
    df = load(args.data)
    load_seconds = time.perf_counter() - t0
    out = route(df, args.as_of)
    out["load_seconds"] = load_seconds
    out["rss_after_load_mb"] = 0.0
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
