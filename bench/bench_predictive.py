"""Benchmark clv.predictive against lifetimes 0.11.3 on 1M synthetic customers.

Usage: ``.venv/bin/python bench/bench_predictive.py [--n 1000000] [--rounds 3]``

Draws customers from the BG/NBD + Gamma-Gamma generative processes (fixed seed, vectorised;
T and recency in whole days), writes them to a temporary .npz, then times each step in a fresh
subprocess (so peak RSS is per step), alternating ours / lifetimes for several rounds, and
prints medians, ratios (theirs / ours), peak RSS and the largest relative parameter
difference.  lifetimes runs in the benchmark-only venv ``bench/.venv-lifetimes`` (created
from ``bench/requirements-lifetimes.txt`` when missing); it is never a clvbot dependency.

Pareto/NBD with lifetimes (Nelder-Mead over every row) takes very long at 1M customers, so by
default lifetimes gets the collapsed rows with its own ``weights=`` argument for that step
(``--lifetimes-pareto raw`` for the raw rows, ``skip`` to leave it out).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
LIFETIMES_VENV = HERE / ".venv-lifetimes"
LIFETIMES_PY = LIFETIMES_VENV / "bin" / "python"
STEPS = ("bgnbd", "mbgnbd", "pareto", "gammagamma", "clv")
# CDNOW estimates (Fader, Hardie & Lee 2005; Fader & Hardie 2013) with alpha in days
TRUE = {"r": 0.243, "alpha": 4.414 * 7, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "v": 15.44}


def simulate(n: int, seed: int) -> dict[str, np.ndarray]:
    """BG/NBD + Gamma-Gamma customers; T uniform on 1..365 days, recency floored to days."""
    rng = np.random.default_rng(seed)
    T = rng.integers(1, 366, size=n).astype(np.float64)
    lam = rng.gamma(TRUE["r"], 1.0 / TRUE["alpha"], size=n)
    p = rng.beta(TRUE["a"], TRUE["b"], size=n)
    n_poisson = rng.poisson(lam * T)  # purchases of an immortal customer in (0, T]
    max_repeat = rng.geometric(p)  # dies after the k-th repeat purchase, k ~ Geometric(p)
    x = np.minimum(n_poisson, max_repeat)
    # the x-th of n_poisson uniform arrival times on (0, T] is T * Beta(x, n_poisson - x + 1)
    pos = x > 0
    t_x = np.zeros(n)
    t_x[pos] = np.floor(T[pos] * rng.beta(x[pos], n_poisson[pos] - x[pos] + 1))
    nu = rng.gamma(TRUE["q"], 1.0 / TRUE["v"], size=n)
    m = np.zeros(n)
    m[pos] = rng.gamma(TRUE["p"] * x[pos], 1.0 / (nu[pos] * x[pos]))
    return {"x": x.astype(np.float64), "t_x": t_x, "T": T, "m": m}


# --------------------------------------------------------------------------------- workers
def _ours(step: str, d: dict[str, np.ndarray], clv_params: dict[str, float]) -> dict[str, Any]:
    sys.path.insert(0, str(HERE.parent))
    from clv.predictive import (
        BetaGeoModel,
        GammaGammaModel,
        ModifiedBetaGeoModel,
        ParetoNBDModel,
        customer_lifetime_value,
    )

    x, t_x, T, m = d["x"], d["t_x"], d["T"], d["m"]
    classes = {"bgnbd": BetaGeoModel, "mbgnbd": ModifiedBetaGeoModel, "pareto": ParetoNBDModel}
    if step in classes:
        t0 = time.perf_counter()
        model = classes[step]().fit(x, t_x, T)
        return {"seconds": time.perf_counter() - t0, "params": model.params}
    if step == "gammagamma":
        t0 = time.perf_counter()
        gg = GammaGammaModel().fit(x, m)
        return {"seconds": time.perf_counter() - t0, "params": gg.params}
    bg = BetaGeoModel().set_params(**{k: clv_params[k] for k in ("r", "alpha", "a", "b")})
    gg = GammaGammaModel().set_params(clv_params["p"], clv_params["q"], clv_params["v"])
    t0 = time.perf_counter()
    clv = customer_lifetime_value(bg, gg, x, t_x, T, m, months=12, monthly_discount_rate=0.01)
    return {"seconds": time.perf_counter() - t0, "clv": clv}


def _theirs(step: str, d: dict[str, np.ndarray], clv_params: dict[str, float], pareto: str) -> Any:
    import pandas as pd  # only inside the lifetimes venv
    from lifetimes import (
        BetaGeoFitter,
        GammaGammaFitter,
        ModifiedBetaGeoFitter,
        ParetoNBDFitter,
    )

    x = pd.Series(d["x"])
    t_x = pd.Series(d["t_x"])
    T = pd.Series(d["T"])
    m = pd.Series(d["m"])
    classes = {"bgnbd": BetaGeoFitter, "mbgnbd": ModifiedBetaGeoFitter}
    if step in classes:
        t0 = time.perf_counter()
        fitter = classes[step]().fit(x, t_x, T)
        return {"seconds": time.perf_counter() - t0, "params": fitter.params_.to_dict()}
    if step == "pareto":
        if pareto == "weights":
            key, w = np.unique(
                np.stack([d["x"], d["t_x"], d["T"]], axis=1), axis=0, return_counts=True
            )
            x, t_x, T = (pd.Series(key[:, i]) for i in range(3))
        else:
            w = None
        t0 = time.perf_counter()
        fitter = ParetoNBDFitter().fit(x, t_x, T, weights=w)
        return {"seconds": time.perf_counter() - t0, "params": fitter.params_.to_dict()}
    if step == "gammagamma":
        pos = x > 0
        t0 = time.perf_counter()
        ggf = GammaGammaFitter().fit(x[pos], m[pos])
        return {"seconds": time.perf_counter() - t0, "params": ggf.params_.to_dict()}
    bgf = BetaGeoFitter()
    bgf.params_ = pd.Series({k: clv_params[k] for k in ("r", "alpha", "a", "b")})
    bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time
    ggf = GammaGammaFitter()
    ggf.params_ = pd.Series({k: clv_params[k] for k in ("p", "q", "v")})
    t0 = time.perf_counter()
    clv = ggf.customer_lifetime_value(bgf, x, t_x, T, m, time=12, discount_rate=0.01, freq="D")
    return {"seconds": time.perf_counter() - t0, "clv": clv.to_numpy()}


def worker(args: argparse.Namespace) -> None:
    d = dict(np.load(args.data))
    clv_params = json.loads(args.clv_params)
    if args.worker == "ours":
        out = _ours(args.step, d, clv_params)
    else:
        out = _theirs(args.step, d, clv_params, args.lifetimes_pareto)
    if "clv" in out:
        np.save(args.clv_out, out.pop("clv"))
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(out))


# ------------------------------------------------------------------------------ controller
def run_step(side: str, step: str, data: str, clv_params: dict[str, float], a: Any) -> Any:
    py = sys.executable if side == "ours" else str(LIFETIMES_PY)
    clv_out = os.path.join(a.tmp, f"clv_{side}.npy")
    cmd = [py, __file__, "--worker", side, "--step", step, "--data", data,
           "--clv-params", json.dumps(clv_params), "--clv-out", clv_out,
           "--lifetimes-pareto", a.lifetimes_pareto]  # fmt: skip
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        print(f"[{side} {step}] failed:\n{proc.stderr[-3000:]}", file=sys.stderr)
        return None
    res = json.loads(lines[-1][len("RESULT ") :])
    if step == "clv":
        res["clv_file"] = clv_out
    return res


def ensure_lifetimes_venv() -> None:
    if LIFETIMES_PY.exists():
        return
    subprocess.run(["python3", "-m", "venv", str(LIFETIMES_VENV)], check=True)
    req = HERE / "requirements-lifetimes.txt"
    subprocess.run(
        [str(LIFETIMES_VENV / "bin" / "pip"), "install", "-q", "-r", str(req)], check=True
    )


def max_rel_diff(ours: dict[str, float], theirs: dict[str, float]) -> float:
    return max(abs(ours[k] - theirs[k]) / abs(theirs[k]) for k in ours)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--steps", default=",".join(STEPS))
    ap.add_argument("--lifetimes-pareto", choices=("weights", "raw", "skip"), default="weights")
    ap.add_argument("--lifetimes-pareto-rounds", type=int, default=1)
    ap.add_argument("--worker", choices=("ours", "lifetimes"))
    ap.add_argument("--step", choices=STEPS)
    ap.add_argument("--data")
    ap.add_argument("--clv-params", default="{}")
    ap.add_argument("--clv-out", default="")
    a = ap.parse_args()
    if a.worker:
        worker(a)
        return
    ensure_lifetimes_venv()
    steps = a.steps.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        a.tmp = tmp
        t0 = time.perf_counter()
        d = simulate(a.n, a.seed)
        gen = time.perf_counter() - t0
        data = os.path.join(tmp, "customers.npz")
        np.savez(data, **d)
        print(f"{a.n:,} customers drawn in {gen:.2f} s; {int((d['x'] > 0).sum()):,} repeat "
              f"buyers; {len(np.unique(np.stack([d['x'], d['t_x'], d['T']]), axis=1)[0]):,} "
              "unique (x, t_x, T) rows", flush=True)  # fmt: skip
        clv_params = dict(TRUE)
        results: dict[str, dict[str, list[Any]]] = {s: {"ours": [], "lifetimes": []} for s in steps}
        for rnd in range(a.rounds):
            for step in steps:
                for side in ("ours", "lifetimes"):
                    if (
                        side == "lifetimes"
                        and step == "pareto"
                        and (a.lifetimes_pareto == "skip" or rnd >= a.lifetimes_pareto_rounds)
                    ):
                        continue
                    res = run_step(side, step, data, clv_params, a)
                    if res is None:
                        continue
                    results[step][side].append(res)
                    extra = (
                        f" clv sum={np.load(res['clv_file']).sum():.6g}" if step == "clv" else ""
                    )
                    print(f"round {rnd + 1} {step:10s} {side:9s} {res['seconds']:8.2f} s "
                          f"{res['maxrss_mb']:7.0f} MB {res.get('params', '')}{extra}",
                          flush=True)  # fmt: skip
                if step == "clv" and results[step]["ours"] and results[step]["lifetimes"]:
                    ours_clv = np.load(results[step]["ours"][-1]["clv_file"])
                    their_clv = np.load(results[step]["lifetimes"][-1]["clv_file"])
                    ok = their_clv > 1e-9
                    diff = np.abs(ours_clv[ok] - their_clv[ok]) / their_clv[ok]
                    results[step]["ours"][-1]["clv_rel_diff"] = float(diff.max())
        report(results, a)


def report(results: dict[str, dict[str, list[Any]]], a: argparse.Namespace) -> None:
    targets = {"bgnbd": "ratio >= 8", "gammagamma": "ratio >= 5", "clv": "ratio >= 5",
               "pareto": "ours < 10 s", "mbgnbd": "-"}  # fmt: skip
    print()
    print(f"n = {a.n:,} customers, {a.rounds} rounds, median seconds (alternating ours/theirs)")
    hdr = (f"{'step':11s} {'ours s':>8s} {'lifetimes s':>12s} {'ratio':>7s} {'ours MB':>8s} "
           f"{'lifetimes MB':>13s} {'max rel diff':>13s}  target")  # fmt: skip
    print(hdr)
    print("-" * len(hdr))
    for step, sides in results.items():
        ours, theirs = sides["ours"], sides["lifetimes"]
        if not ours:
            continue
        o_t = statistics.median(r["seconds"] for r in ours)
        o_m = max(r["maxrss_mb"] for r in ours)
        t_t = statistics.median(r["seconds"] for r in theirs) if theirs else float("nan")
        t_m = max(r["maxrss_mb"] for r in theirs) if theirs else float("nan")
        if step == "clv":
            diffs = [r["clv_rel_diff"] for r in ours if "clv_rel_diff" in r]
            rel = max(diffs) if diffs else float("nan")
        elif theirs:
            rel = max(max_rel_diff(r["params"], theirs[0]["params"]) for r in ours)
        else:
            rel = float("nan")
        print(f"{step:11s} {o_t:8.2f} {t_t:12.2f} {t_t / o_t:7.1f} {o_m:8.0f} {t_m:13.0f} "
              f"{rel:13.2e}  {targets[step]}")  # fmt: skip
    if a.lifetimes_pareto == "weights":
        print("(lifetimes Pareto/NBD was given the collapsed rows with weights=, "
              f"{a.lifetimes_pareto_rounds} round(s))")  # fmt: skip
    print("max rel diff: parameters vs lifetimes (clv: per-customer CLV vs lifetimes)")


if __name__ == "__main__":
    main()
