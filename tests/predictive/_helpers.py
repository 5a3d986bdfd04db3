"""Shared test helpers: the CDNOW data and vectorised simulators of the models' processes."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path

import numpy as np

import clv

CDNOW = Path(clv.__file__).parent / "datasets" / "cdnow"
Arr = np.ndarray


def cdnow_summary() -> dict[str, Arr]:
    """ID, x, t_x, T (weeks) and zbar of the 2,357 CDNOW sample customers."""
    with open(CDNOW / "cdnow_customers_summary_with_transactions.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {k: np.array([float(r[k]) for r in rows]) for k in ("ID", "x", "t_x", "T", "zbar")}


def cdnow_from_transactions(end: dt.date = dt.date(1997, 9, 30)) -> dict[str, Arr]:
    """Rebuild x and unrounded zbar (mean per-day value of repeat purchases) from CDNOW_sample."""
    days: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    with open(CDNOW / "CDNOW_sample.txt") as fh:
        for line in fh:
            master_id, _, date, _, dollars = line.split()
            days[int(master_id)][date] += float(dollars)
    x, zbar = [], []
    for per_day in days.values():
        dates = sorted(d for d in per_day if dt.date(int(d[:4]), int(d[4:6]), int(d[6:])) <= end)
        repeat = dates[1:]
        x.append(len(repeat))
        zbar.append(float(np.mean([per_day[d] for d in repeat])) if repeat else 0.0)
    return {"x": np.array(x, dtype=float), "zbar": np.array(zbar)}


def simulate_bg(
    rng: np.random.Generator, T: Arr, r: float, alpha: float, a: float, b: float,
    *, modified: bool = False, horizon: float = 0.0,
) -> dict[str, Arr]:  # fmt: skip
    """BG/NBD (or MBG/NBD) customers observed on (0, T], plus their purchases in (T, T+horizon].

    lambda ~ Gamma(r, rate alpha), p ~ Beta(a, b); a customer makes Poisson purchases and drops
    out after each repeat purchase with probability p (MBG: also right after the first one).
    """
    n = T.size
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    allowed = rng.geometric(p) - (1 if modified else 0)  # repeat purchases before dropping out
    n_obs = rng.poisson(lam * T)  # purchases of an immortal customer in (0, T]
    n_fut = rng.poisson(lam * horizon)
    x = np.minimum(allowed, n_obs)
    alive = allowed > n_obs
    future = np.where(alive, np.minimum(allowed - n_obs, n_fut), 0)
    t_x = np.zeros(n)
    pos = x > 0  # x-th of n_obs uniform arrival times on (0, T]
    t_x[pos] = T[pos] * rng.beta(x[pos], n_obs[pos] - x[pos] + 1)
    return {"x": x.astype(float), "t_x": t_x, "T": T, "alive": alive, "future": future}


def simulate_pareto(
    rng: np.random.Generator, T: Arr, r: float, alpha: float, s: float, beta: float,
    *, horizon: float = 0.0,
) -> dict[str, Arr]:  # fmt: skip
    """Pareto/NBD customers: Poisson(lambda) purchases during an Exp(mu) lifetime."""
    n = T.size
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    mu = rng.gamma(s, 1.0 / beta, size=n)
    tau = rng.exponential(1.0 / mu)
    active = np.minimum(tau, T)
    x = rng.poisson(lam * active)
    future = rng.poisson(lam * np.clip(tau - T, 0.0, horizon))
    t_x = np.zeros(n)
    pos = x > 0  # the last of x uniform times on (0, active]
    t_x[pos] = active[pos] * rng.beta(x[pos], 1.0)
    return {"x": x.astype(float), "t_x": t_x, "T": T, "alive": tau > T, "future": future}


def integer_days(d: dict[str, Arr]) -> dict[str, Arr]:
    """Round recency down to whole days (as daily transaction data would give)."""
    return {**d, "t_x": np.floor(d["t_x"])}
