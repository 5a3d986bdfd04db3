"""Check and time the distribution of the number of future purchases (clv.predictive).

Usage: ``.venv/bin/python bench/bench_pmf.py [--n-sim 200000] [--pairs 50000] [--rounds 5]``

On CDNOW (2,357 customers, weeks) BG/NBD, MBG/NBD, Pareto/NBD and NBD are fitted with
clv.predictive.  lifetimes 0.11.3 runs in the benchmark-only venv ``bench/.venv-lifetimes``
(created by ``bench_predictive.ensure_lifetimes_venv`` when missing; never a clvbot
dependency) with *our* parameters set as its ``params_``, so that the formulas are compared,
not the fits.  For k = 0..10 and t = 39 weeks it prints the largest absolute difference of

* the unconditional P(X(t) = k): ``BetaGeoFitter`` / ``ModifiedBetaGeoFitter
  .probability_of_n_purchases_up_to_time(t, n)``; ``ParetoNBDFitter`` has no unconditional
  pmf in 0.11.3, so its ``conditional_probability_of_n_purchases_up_to_time`` at
  ``x = t_x = T = 0`` (a new customer is alive with no history);
* the conditional P(X(T, T+t] = k | x, t_x, T) over all CDNOW customers: Pareto/NBD with
  ``conditional_probability_of_n_purchases_up_to_time(n, t, frequency, recency, T)``;
  lifetimes has no conditional pmf for BG/MBG, so there: its eq. (8)
  (``BetaGeoFitter.probability_of_n_purchases_up_to_time``) at each customer's posterior
  parameters ``(r+x, alpha+T, a, b+x)`` (MBG: ``b+x+1``) mixed with its own
  ``conditional_probability_alive``.

The NBD model (not in lifetimes) is compared with ``scipy.stats.nbinom``.  Then a simulation
check for every model (empirical frequencies vs the formula, as z-scores: new customers;
customers alive at T with x purchases; futures from the posterior given a CDNOW history) and
the time of ``_alive_pmf`` on distinct (x, T) pairs with kmax = 60.  Prints numbers only.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
CSV = HERE.parent / "clv/datasets/cdnow/cdnow_customers_summary_with_transactions.csv"
K = np.arange(11)
HORIZON = 39.0


def load_cdnow() -> dict[str, np.ndarray]:
    with open(CSV, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {c: np.array([float(r[c]) for r in rows]) for c in ("x", "t_x", "T")}


# ------------------------------------------------------------------- lifetimes worker
def lifetimes_worker(params: dict[str, dict[str, float]], out: str) -> None:
    """Runs in bench/.venv-lifetimes: lifetimes' pmfs at our parameters, saved to ``out``."""
    import pandas as pd  # only inside the lifetimes venv
    from lifetimes import BetaGeoFitter, ModifiedBetaGeoFitter, ParetoNBDFitter

    d = load_cdnow()
    x, t_x, T = d["x"], d["t_x"], d["T"]
    res: dict[str, np.ndarray] = {}
    bg = BetaGeoFitter()
    for name, cls, shift in (("bg", BetaGeoFitter, 0), ("mbg", ModifiedBetaGeoFitter, 1)):
        f = cls()
        f.params_ = pd.Series(params[name])
        res[f"{name}_new"] = np.array(
            [f.probability_of_n_purchases_up_to_time(HORIZON, n) for n in K]
        )
        alive = np.asarray(f.conditional_probability_alive(x, t_x, T), dtype=float).ravel()
        r, alpha, a, b = (params[name][k] for k in ("r", "alpha", "a", "b"))
        cond = np.empty((K.size, x.size))
        for i in range(x.size):  # eq. (8) at the posterior parameters given "alive at T"
            post = {"r": r + x[i], "alpha": alpha + T[i], "a": a, "b": b + x[i] + shift}
            bg.params_ = pd.Series(post)
            row = [bg.probability_of_n_purchases_up_to_time(HORIZON, n) for n in K]
            cond[:, i] = alive[i] * np.array(row) + (1 - alive[i]) * (K == 0)
        res[f"{name}_cond"] = cond
    p = ParetoNBDFitter()
    p.params_ = pd.Series(params["pareto"])
    res["pareto_cond"] = np.array(
        [p.conditional_probability_of_n_purchases_up_to_time(n, HORIZON, x, t_x, T) for n in K]
    )
    res["pareto_new"] = np.array(
        [p.conditional_probability_of_n_purchases_up_to_time(n, HORIZON, 0.0, 0.0, 0.0) for n in K]
    )
    has = hasattr(ParetoNBDFitter, "probability_of_n_purchases_up_to_time")
    res["pareto_has_unconditional"] = np.array(has)
    np.savez(out, **res)


def run_lifetimes(params: dict[str, dict[str, float]]) -> dict[str, np.ndarray] | None:
    sys.path.insert(0, str(HERE))
    from bench_predictive import LIFETIMES_PY, ensure_lifetimes_venv

    ensure_lifetimes_venv()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "lifetimes.npz")
        cmd = [str(LIFETIMES_PY), __file__, "--worker", json.dumps(params), "--out", out]
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            print(f"lifetimes worker failed:\n{proc.stderr[-3000:]}", file=sys.stderr)
            return None
        print(f"lifetimes 0.11.3 worker: {time.perf_counter() - t0:.1f} s")
        return dict(np.load(out))


# ----------------------------------------------------------------------- ours
def fit_models(d: dict[str, np.ndarray]) -> dict[str, Any]:
    sys.path.insert(0, str(HERE.parent))
    from clv.predictive import BetaGeoModel, ModifiedBetaGeoModel, NBDModel, ParetoNBDModel

    models: dict[str, Any] = {}
    for name, cls in (("bg", BetaGeoModel), ("mbg", ModifiedBetaGeoModel),
                      ("pareto", ParetoNBDModel), ("nbd", NBDModel)):  # fmt: skip
        t0 = time.perf_counter()
        models[name] = cls().fit(d["x"], d["t_x"], d["T"])
        params = {k: round(v, 4) for k, v in models[name].params.items()}
        print(f"fit {name:7s} {time.perf_counter() - t0:6.2f} s  {params}")
    return models


def compare(models: dict[str, Any], d: dict[str, np.ndarray], theirs: dict[str, Any]) -> None:
    from scipy import stats

    x, t_x, T = d["x"], d["t_x"], d["T"]
    print(f"\nP(X = k), k = 0..10, t = {HORIZON:g} weeks: max |ours - lifetimes|")
    print(f"{'model':7s} {'new customer':>13s} {'2,357 customers':>16s}  lifetimes function")
    how = {
        "bg": "probability_of_n_purchases_up_to_time; cond.: eq. (8) at the posterior x P(alive)",
        "mbg": "probability_of_n_purchases_up_to_time; cond.: BG eq. (8), b+x+1, x P(alive)",
        "pareto": "conditional_probability_of_n_purchases_up_to_time (new: at x = t_x = T = 0)",
    }
    for name in ("bg", "mbg", "pareto"):
        m = models[name]
        cond = m.probability_of_purchases(K[:, None], HORIZON, x, t_x, T)
        new = m.probability_of_purchases_new_customer(K, HORIZON)
        d_new = np.abs(new - theirs[f"{name}_new"]).max()
        d_cond = np.abs(cond - theirs[f"{name}_cond"]).max()
        print(f"{name:7s} {d_new:13.2e} {d_cond:16.2e}  {how[name]}")
    if not bool(theirs["pareto_has_unconditional"]):
        print("(ParetoNBDFitter.probability_of_n_purchases_up_to_time does not exist in 0.11.3)")
    m = models["nbd"]
    r, alpha = m.params["r"], m.params["alpha"]
    cond = m.probability_of_purchases(K[:, None], HORIZON, x, t_x, T)
    want = stats.nbinom.pmf(K[:, None], r + x, (alpha + T) / (alpha + T + HORIZON))
    new = m.probability_of_purchases_new_customer(K, HORIZON)
    want_new = stats.nbinom.pmf(K, r, alpha / (alpha + HORIZON))
    print(f"{'nbd':7s} {np.abs(new - want_new).max():13.2e} {np.abs(cond - want).max():16.2e}"
          "  (no lifetimes model: scipy.stats.nbinom)")  # fmt: skip
    print("consistency on CDNOW (k = 0..2000): max |sum - 1|, max rel |mean - expected_purchases|")
    kk = np.arange(2001)
    for name, m in models.items():
        P = m.probability_of_purchases(kk[:, None], HORIZON, x, t_x, T)
        rel = np.abs(kk @ P / m.expected_purchases(HORIZON, x, t_x, T) - 1)
        print(f"  {name:7s} {np.abs(P.sum(axis=0) - 1).max():.2e} {np.nanmax(rel):.2e}")


# ----------------------------------------------------------------------- simulation
def simulate_future(
    name: str, p: dict[str, float], rng: np.random.Generator, x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Purchases in (T, T + HORIZON] of customers alive at T with x purchases: individual
    parameters from their posterior, then the model's story (new customers: x = T = 0)."""
    n = x.size
    lam = rng.gamma(p["r"] + x, 1.0 / (p["alpha"] + T), size=n)
    count = rng.poisson(lam * HORIZON)
    if name in ("bg", "mbg"):
        drop = rng.beta(p["a"], p["b"] + x + (name == "mbg"), size=n)
        return np.asarray(np.minimum(count, rng.geometric(drop)))
    if name == "pareto":
        tau = rng.exponential(1.0 / rng.gamma(p["s"], 1.0 / (p["beta"] + T), size=n))
        return np.asarray(rng.poisson(lam * np.minimum(tau, HORIZON)))
    return np.asarray(count)


def simulate_history(
    name: str, p: dict[str, float], rng: np.random.Generator, n: int, T: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, alive at T, future purchases) of n customers simulated from time 0."""
    lam = rng.gamma(p["r"], 1.0 / p["alpha"], size=n)
    before, after = rng.poisson(lam * T), rng.poisson(lam * HORIZON)
    if name in ("bg", "mbg"):
        allowed = rng.geometric(rng.beta(p["a"], p["b"], size=n)) - (name == "mbg")
        alive = allowed > before
        return (
            np.minimum(before, allowed),
            alive,
            np.where(alive, np.minimum(allowed - before, after), 0),
        )
    if name == "pareto":
        tau = rng.exponential(1.0 / rng.gamma(p["s"], 1.0 / p["beta"], size=n))
        x = rng.poisson(lam * np.minimum(tau, T))
        return x, tau > T, rng.poisson(lam * np.clip(tau - T, 0.0, HORIZON))
    return before, np.ones(n, bool), after


def z_max(future: np.ndarray, p: np.ndarray, ks: np.ndarray) -> float:
    emp = np.bincount(future, minlength=int(ks.max()) + 1)[ks] / future.size
    se = np.sqrt(np.maximum(p * (1 - p), 1e-300) / future.size)
    return float(np.max(np.abs(emp - p) / se))


def simulation_check(models: dict[str, Any], d: dict[str, np.ndarray], n: int) -> None:
    print(f"\nsimulation ({n:,} customers per check, seed 7): max |z| of empirical vs formula")
    print(f"{'model':7s} {'new k=0..5':>11s} {'alive, x=0,1,2':>15s} {'3 CDNOW histories':>18s}")
    rng = np.random.default_rng(7)
    ks = np.arange(6)
    picks = [int(np.argmax(d["x"])), int(np.flatnonzero(d["x"] == 3)[0]), 0]
    for name, m in models.items():
        p = m.params
        new = simulate_history(name, p, rng, n, 0.0)[2]  # MBG: may drop out at time 0
        z_new = z_max(new, m.probability_of_purchases_new_customer(ks, HORIZON), ks)
        x_sim, alive, fut = simulate_history(name, p, rng, n, 38.0)
        z_alive = max(
            z_max(
                fut[alive & (x_sim == x0)],
                m._alive_pmf(5, HORIZON, np.array([x0 * 1.0]), np.array([38.0]))[0],
                ks,
            )
            for x0 in (0, 1, 2)
        )
        z_hist = 0.0
        for i in picks:
            x, t_x, T = d["x"][i], d["t_x"][i], d["T"][i]
            a = float(m.probability_alive(x, t_x, T)[0])
            fut = np.where(
                rng.random(n) < a, simulate_future(name, p, rng, np.full(n, x), np.full(n, T)), 0
            )
            kk = np.unique(np.r_[ks, np.argsort(np.bincount(fut))[-4:]])
            z_hist = max(z_hist, z_max(fut, m.probability_of_purchases(kk, HORIZON, x, t_x, T), kk))
        print(f"{name:7s} {z_new:11.2f} {z_alive:15.2f} {z_hist:18.2f}")
    print("(|z| < 4 expected for each of the 6 to 10 frequencies compared per column entry)")


# ----------------------------------------------------------------------- timing
def timing(models: dict[str, Any], d: dict[str, np.ndarray], pairs: int, rounds: int) -> None:
    rng = np.random.default_rng(3)
    x = rng.choice(d["x"], size=pairs)  # CDNOW's frequencies
    T = rng.uniform(0.1, 78.0, size=pairs)  # distinct T: all pairs distinct
    print(f"\n_alive_pmf on {pairs:,} distinct (x, T) pairs, kmax = 60, t = {HORIZON:g} weeks, "
          f"median of {rounds}")  # fmt: skip
    print("(targets: BG/MBG well under 0.5 s, Pareto/NBD under 1.5 s)")
    for name, m in models.items():
        m._alive_pmf(60, HORIZON, x[:100], T[:100])  # warm caches
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            table = m._alive_pmf(60, HORIZON, x, T)
            times.append(time.perf_counter() - t0)
        print(f"  {name:7s} {statistics.median(times):6.3f} s  (min {min(times):.3f} s; "
              f"table {table.shape}, min row sum {table.sum(axis=1).min():.4f})")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--n-sim", type=int, default=200_000)
    ap.add_argument("--pairs", type=int, default=50_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--worker")
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.worker:
        lifetimes_worker(json.loads(a.worker), a.out)
        return
    d = load_cdnow()
    models = fit_models(d)
    params = {name: models[name].params for name in ("bg", "mbg", "pareto")}
    theirs = run_lifetimes(params)
    if theirs is not None:
        compare(models, d, theirs)
    simulation_check(models, d, a.n_sim)
    timing(models, d, a.pairs, a.rounds)


if __name__ == "__main__":
    main()
