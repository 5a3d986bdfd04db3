"""A synthetic shop for the demo: customers and orders drawn from the models clvbot fits.

Purchases follow the BG/NBD story (Fader, Hardie & Lee 2005): while alive, a customer buys at
a Poisson rate lambda ~ Gamma(r, alpha); after each repeat purchase they drop out with a
probability p ~ Beta(a, b). Order values follow Gamma-Gamma (Fader & Hardie 2013): each
customer's spend is Gamma(p_spend, nu) around their own nu ~ Gamma(q, gamma). The first order
is on the acquisition day, so every buyer's history starts there; the history ends `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from clv import csvsafe

FIRST_NAMES = (
    "Ada", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
    "Keiko", "Liam", "Maya", "Noah", "Olivia", "Pedro", "Quinn", "Rosa", "Samir", "Tara",
    "Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Andersen", "Bauer", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ito",
    "Jensen", "Kowalski", "Lopez", "Müller", "Nakamura", "Okafor", "Patel", "Rossi", "Schmidt",
    "Tanaka", "Varga", "Williams", "Young", "Zhang",
)  # fmt: skip
# acquisition channel -> (share of customers, cost per acquired customer in the shop currency)
CHANNELS = {
    "organic": (0.35, 0.0),
    "paid search": (0.25, 42.0),
    "social": (0.18, 28.0),
    "email": (0.12, 6.0),
    "referral": (0.10, 15.0),
}
OPTED_OUT_SHARE = 0.03
NPS_SHARE = 0.20
PROSPECT_SHARE = 0.05  # signed up, never bought
REFUND_SHARE = 0.015


@dataclass(frozen=True)
class ShopParams:
    """Generative parameters, in days and the shop currency."""

    r: float = 0.75  # BG/NBD purchase rate heterogeneity: lambda ~ Gamma(r, rate alpha)
    alpha: float = 55.0
    a: float = 0.8  # dropout after each repeat purchase: p ~ Beta(a, b)
    b: float = 3.2
    p_spend: float = 6.0  # Gamma-Gamma: spend ~ Gamma(p_spend, rate nu), nu ~ Gamma(q, rate gamma)
    q: float = 3.5
    gamma: float = 25.0


@dataclass(frozen=True)
class ShopCustomer:
    customer_id: str
    name: str
    email: str
    acquired_at: datetime  # naive, in the shop's time zone
    channel: str
    acquisition_cost: float
    opted_out: bool
    nps: int | None


@dataclass(frozen=True)
class ShopOrder:
    order_id: str
    customer_id: str
    ordered_at: datetime  # naive, in the shop's time zone
    amount: float  # negative: a refund


@dataclass(frozen=True)
class Shop:
    customers: list[ShopCustomer]
    orders: list[ShopOrder]


def generate_shop(
    n_customers: int = 3000,
    *,
    now: datetime,
    months: int = 18,
    seed: int = 20240601,
    params: ShopParams | None = None,
) -> Shop:
    """`n_customers` acquired over the `months` before `now` (naive, shop time); their orders."""
    if n_customers < 1:
        raise ValueError(f"n_customers must be at least 1, got {n_customers}")
    prm = params or ShopParams()
    rng = np.random.default_rng(seed)
    span = months * 30.44  # days of history
    start = now - timedelta(days=span)
    # slightly more customers recently: a growing shop
    acquired = span * rng.beta(1.3, 1.0, n_customers)
    lam = rng.gamma(prm.r, 1.0 / prm.alpha, n_customers)
    drop = rng.beta(prm.a, prm.b, n_customers)
    nu = rng.gamma(prm.q, 1.0 / prm.gamma, n_customers)
    names = list(CHANNELS)
    shares = np.array([share for share, _ in CHANNELS.values()])
    channel = rng.choice(len(names), n_customers, p=shares / shares.sum())
    customers: list[ShopCustomer] = []
    orders: list[ShopOrder] = []
    for i in range(n_customers):
        cid = str(i + 1)
        first, last = (
            FIRST_NAMES[rng.integers(len(FIRST_NAMES))],
            LAST_NAMES[rng.integers(len(LAST_NAMES))],
        )
        nps = int(rng.choice(11, p=_NPS_WEIGHTS)) if rng.random() < NPS_SHARE else None
        customers.append(
            ShopCustomer(
                customer_id=cid,
                name=f"{first} {last}",
                email=f"{_ascii(first)}.{_ascii(last)}.{cid}@example.com",
                acquired_at=start + timedelta(days=float(acquired[i])),
                channel=names[channel[i]],
                acquisition_cost=CHANNELS[names[channel[i]]][1],
                opted_out=bool(rng.random() < OPTED_OUT_SHARE),
                nps=nps,
            )
        )
        if rng.random() < PROSPECT_SHARE:
            continue
        times = _purchase_times(rng, float(acquired[i]), span, float(lam[i]), float(drop[i]))
        for k, t in enumerate(times):
            amount = max(1.0, round(float(rng.gamma(prm.p_spend, 1.0 / nu[i])), 2))
            order_id = f"o{cid}-{k + 1}"
            orders.append(ShopOrder(order_id, cid, start + timedelta(days=t), amount))
            if rng.random() < REFUND_SHARE:
                later = min(span, t + float(rng.uniform(1, 20)))
                orders.append(
                    ShopOrder(f"{order_id}-r", cid, start + timedelta(days=later), -amount)
                )
    return Shop(customers, orders)


# promoters are a little more common than detractors in a shop people come back to
_NPS_WEIGHTS = np.array([2, 1, 1, 2, 2, 5, 6, 10, 16, 18, 14], dtype=float)
_NPS_WEIGHTS /= _NPS_WEIGHTS.sum()


def _purchase_times(
    rng: np.random.Generator, first: float, end: float, lam: float, drop: float
) -> list[float]:
    """BG/NBD: the first purchase at `first`, then Poisson(lam) purchases until dropout or `end`."""
    times = [first]
    t = first
    while True:
        t += float(rng.exponential(1.0 / lam)) if lam > 0 else end + 1.0
        if t > end:
            return times
        times.append(t)
        if rng.random() < drop:  # inactive after this repeat purchase
            return times


def _ascii(name: str) -> str:
    return name.lower().replace("ü", "ue")


def write_shop_csvs(shop: Shop, directory: Path) -> tuple[Path, Path]:
    """`customers.csv` and `orders.csv` in the formats `clvbot import` reads (refunds' amounts
    are written `'-12.50`: see `clv.csvsafe`)."""
    customers_csv, orders_csv = directory / "customers.csv", directory / "orders.csv"
    with customers_csv.open("w", encoding="utf-8", newline="") as file:
        writer = csvsafe.writer(file)
        writer.writerow(
            ["customer_id", "email", "name", "acquired_at", "acquisition_cost", "channel",
             "opted_out", "nps"]
        )  # fmt: skip
        for c in shop.customers:
            writer.writerow(
                [c.customer_id, c.email, c.name, c.acquired_at.date().isoformat(),
                 f"{c.acquisition_cost:.2f}", c.channel, "true" if c.opted_out else "false",
                 "" if c.nps is None else c.nps]
            )  # fmt: skip
    with orders_csv.open("w", encoding="utf-8", newline="") as file:
        writer = csvsafe.writer(file)
        writer.writerow(["order_id", "customer_id", "ordered_at", "amount"])
        for o in shop.orders:
            stamp = o.ordered_at.isoformat(timespec="seconds")
            writer.writerow([o.order_id, o.customer_id, stamp, f"{o.amount:.2f}"])
    return customers_csv, orders_csv
