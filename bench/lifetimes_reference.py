"""Print lifetimes 0.11.3 reference values on CDNOW for test_lifetimes_reference.py.

Run with the benchmark-only venv: ``bench/.venv-lifetimes/bin/python bench/lifetimes_reference.py``.
The printed numbers were pasted into the test as an independent reference implementation.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter, ParetoNBDFitter

CSV = (
    Path(__file__).resolve().parent.parent
    / "clv/datasets/cdnow/cdnow_customers_summary_with_transactions.csv"
)
IDX = [0, 1, 2, 10, 100, 1000, 2000]


def main() -> None:
    df = pd.read_csv(CSV)
    idx = [*IDX, int(df["x"].to_numpy().argmax())]
    sub = df.iloc[idx]
    x, t_x, T = sub["x"], sub["t_x"], sub["T"]
    out: dict[str, object] = {"idx": idx}
    for name, cls in (
        ("bg", BetaGeoFitter),
        ("mbg", ModifiedBetaGeoFitter),
        ("pareto", ParetoNBDFitter),
    ):
        kw = {"tol": 1e-10, "maxiter": 20000} if name == "pareto" else {}
        f = cls().fit(df["x"], df["t_x"], df["T"], **kw)
        out[name] = {
            "params": f.params_.to_dict(),
            "p_alive": np.asarray(f.conditional_probability_alive(x, t_x, T)).ravel().tolist(),
            "cond_39": np.asarray(
                f.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, T)
            )
            .ravel()
            .tolist(),
            "uncond": [
                float(f.expected_number_of_purchases_up_to_time(t)) for t in (1.0, 10.0, 39.0, 78.0)
            ],
        }
        if name == "bg":
            pos = df["x"] > 0
            gg = GammaGammaFitter().fit(df["x"][pos], df["zbar"][pos])
            clv = gg.customer_lifetime_value(
                f, x, t_x, T, sub["zbar"], time=12, discount_rate=0.01, freq="W"
            )
            out["gg_params"] = gg.params_.to_dict()
            out["clv_weeks_12m"] = clv.to_numpy().tolist()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
