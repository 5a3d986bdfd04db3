"""A synthetic shop for the demo: customers and orders drawn from the models clvbot fits.

Purchases follow the BG/NBD story (Fader, Hardie & Lee 2005): while alive, a customer buys at
a Poisson rate lambda ~ Gamma(r, alpha); after each repeat purchase they drop out with a
probability p ~ Beta(a, b). Order values follow Gamma-Gamma (Fader & Hardie 2013): each
customer's spend is Gamma(p_spend, nu) around their own nu ~ Gamma(q, gamma). Every buyer's
history starts at their first order; most customers signed up (were acquired) a few days
before it (`SIGNUP_SHARE`, `SIGNUP_LAG_DAYS`), the others with it; the history ends `now`.

Channels differ the way they do in a real shop: each has its own acquisition cost (none for
organic and referral) and scales the customer's lambda and p (`CHANNEL_BEHAVIOUR`). At the
demo's 40 % gross margin the paid channels, paid social most, fall short of a 3:1 CLV:CAC while
email and affiliates clear it. About a fifth of the buyers answered an NPS survey, and their
scores follow their experience (`NpsModel`): frequent, returning buyers promote the shop; those
who had a refund or stopped buying are its detractors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt

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
# acquisition channel -> (share of customers, range of what acquiring one customer cost, in the
# shop currency: drawn uniformly per customer and rounded to cents; None: no acquisition cost)
CHANNELS: dict[str, tuple[float, tuple[float, float] | None]] = {
    "organic": (0.30, None),
    "paid search": (0.22, (30.0, 60.0)),  # cost per click ÷ conversion rate
    "paid social": (0.20, (20.0, 45.0)),
    "affiliate": (0.08, (12.0, 25.0)),  # the affiliate's commission on the first order
    "email": (0.10, (3.0, 8.0)),  # newsletter sign-ups the email programme converted
    "referral": (0.10, None),  # word of mouth
}
# channel -> (multiplier of the purchase rate lambda, multiplier of the dropout probability p).
# Paid social brings impulse buyers who buy less often and leave sooner, affiliates bring
# coupon hunters; organic, email and referral customers chose the shop and stay. They are
# divided by their share-weighted means (`channel_multipliers`), so the shop as a whole keeps
# ShopParams' mean lambda and (but for p capped at 1) mean p. Within a channel purchases are
# BG/NBD with the scaled parameters; the pooled history is a mixture of the channels.
CHANNEL_BEHAVIOUR = {
    "organic": (1.15, 0.85),
    "paid search": (1.2, 0.85),
    "paid social": (0.45, 2.2),
    "affiliate": (0.85, 1.25),
    "email": (1.15, 0.8),
    "referral": (1.3, 0.7),
}
OPTED_OUT_SHARE = 0.03
NPS_SHARE = 0.20  # of the buyers answered the NPS survey (prospects have nothing to rate)
SIGNUP_SHARE, SIGNUP_LAG_DAYS = 0.6, 6.0  # signed up before the first order: who, how long
PROSPECT_SHARE = 0.05  # signed up, never bought
REFUND_SHARE = 0.015


@dataclass(frozen=True)
class NpsModel:
    """An answer is a latent satisfaction, rounded and clipped to 0–10: `base`, plus `rate` per
    unit of log(lambda ÷ the shop's mean lambda), plus `repeat` per unit of log(1 + repeat
    purchases), plus `dropped` if the customer stopped buying and `refund` if they had a
    refund, plus Normal(0, `noise`)."""

    base: float = 8.2
    rate: float = 0.5
    repeat: float = 1.0
    dropped: float = -1.5
    refund: float = -2.5
    noise: float = 1.6


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
    acquisition_cost: float | None  # None: the channel has no acquisition cost (organic, referral)
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


@dataclass(frozen=True)
class _History:
    """What happened to each customer, for their NPS answer."""

    repeats: npt.NDArray[np.int64]
    dropped: npt.NDArray[np.bool_]  # inactive before the history ends
    refunded: npt.NDArray[np.bool_]


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
    channel = rng.choice(len(CHANNELS), n_customers, p=_SHARES)
    lam = rng.gamma(prm.r, 1.0 / prm.alpha, n_customers) * _MULTIPLIERS[channel, 0]
    drop = np.minimum(rng.beta(prm.a, prm.b, n_customers) * _MULTIPLIERS[channel, 1], 1.0)
    nu = rng.gamma(prm.q, 1.0 / prm.gamma, n_customers)
    buyer = rng.random(n_customers) >= PROSPECT_SHARE
    orders, history = _orders(rng, prm, start, span, acquired, lam, drop, nu, buyer)
    nps = _nps(rng, buyer, lam / (prm.r / prm.alpha), history, NpsModel())
    customers = _customers(rng, start, acquired, channel, nps)
    return Shop(customers, orders)


def channel_multipliers() -> dict[str, tuple[float, float]]:
    """Each channel's (lambda, p) multipliers as drawn: `CHANNEL_BEHAVIOUR` divided by its
    share-weighted means, so that over all channels both average 1."""
    shares = np.array([share for share, _ in CHANNELS.values()])
    behaviour = np.array([CHANNEL_BEHAVIOUR[name] for name in CHANNELS])
    scaled = behaviour / (shares @ behaviour / shares.sum())
    return {name: (float(m[0]), float(m[1])) for name, m in zip(CHANNELS, scaled, strict=True)}


_SHARES = np.array([share for share, _ in CHANNELS.values()])
_SHARES /= _SHARES.sum()
_MULTIPLIERS = np.array(list(channel_multipliers().values()))


def _customers(
    rng: np.random.Generator,
    start: datetime,
    acquired: npt.NDArray[np.float64],
    channel: npt.NDArray[np.int64],
    nps: list[int | None],
) -> list[ShopCustomer]:
    """The customers, with their names, emails, acquisition costs and opt-outs drawn here."""
    n = len(acquired)
    names = list(CHANNELS)
    first = rng.integers(len(FIRST_NAMES), size=n)
    last = rng.integers(len(LAST_NAMES), size=n)
    opted_out = rng.random(n) < OPTED_OUT_SHARE
    costs = _acquisition_costs(rng, channel)
    # most customers sign up (are acquired) a few days before their first order
    lag = np.where(rng.random(n) < SIGNUP_SHARE, rng.exponential(SIGNUP_LAG_DAYS, n), 0.0)
    signed_up = np.maximum(acquired - lag, 0.0)
    customers = []
    for i in range(n):
        cid, given, family = str(i + 1), FIRST_NAMES[first[i]], LAST_NAMES[last[i]]
        customers.append(
            ShopCustomer(
                customer_id=cid,
                name=f"{given} {family}",
                email=f"{_ascii(given)}.{_ascii(family)}.{cid}@example.com",
                acquired_at=start + timedelta(days=float(signed_up[i])),
                channel=names[channel[i]],
                acquisition_cost=costs[i],
                opted_out=bool(opted_out[i]),
                nps=nps[i],
            )
        )
    return customers


def _acquisition_costs(
    rng: np.random.Generator, channel: npt.NDArray[np.int64]
) -> list[float | None]:
    """Each customer's cost, uniform over their channel's range and rounded to cents; None
    for a channel without acquisition costs."""
    ranges = [cost or (np.nan, np.nan) for _, cost in CHANNELS.values()]
    low, high = (np.array(bound)[channel] for bound in zip(*ranges, strict=True))
    cost = np.round(low + rng.random(len(channel)) * (high - low), 2)
    return [None if np.isnan(c) else float(c) for c in cost]


def _orders(
    rng: np.random.Generator,
    prm: ShopParams,
    start: datetime,
    span: float,
    acquired: npt.NDArray[np.float64],
    lam: npt.NDArray[np.float64],
    drop: npt.NDArray[np.float64],
    nu: npt.NDArray[np.float64],
    buyer: npt.NDArray[np.bool_],
) -> tuple[list[ShopOrder], _History]:
    """The buyers' orders and refunds, and what happened to every customer."""
    n = len(acquired)
    history = _History(np.zeros(n, np.int64), np.zeros(n, np.bool_), np.zeros(n, np.bool_))
    orders: list[ShopOrder] = []
    for i in np.flatnonzero(buyer):
        cid = str(i + 1)
        first = float(acquired[i])
        times, dropped = _purchase_times(rng, first, span, float(lam[i]), float(drop[i]))
        history.repeats[i], history.dropped[i] = len(times) - 1, dropped
        for k, t in enumerate(times):
            amount = max(1.0, round(float(rng.gamma(prm.p_spend, 1.0 / nu[i])), 2))
            order_id = f"o{cid}-{k + 1}"
            orders.append(ShopOrder(order_id, cid, start + timedelta(days=t), amount))
            if rng.random() < REFUND_SHARE:
                history.refunded[i] = True
                later = min(span, t + float(rng.uniform(1, 20)))
                orders.append(
                    ShopOrder(f"{order_id}-r", cid, start + timedelta(days=later), -amount)
                )
    return orders, history


def _purchase_times(
    rng: np.random.Generator, first: float, end: float, lam: float, drop: float
) -> tuple[list[float], bool]:
    """BG/NBD: the first purchase at `first`, then Poisson(lam) purchases until dropout or
    `end`; and whether the customer dropped out (became inactive) before `end`."""
    times = [first]
    t = first
    while True:
        t += float(rng.exponential(1.0 / lam)) if lam > 0 else end + 1.0
        if t > end:
            return times, False
        times.append(t)
        if rng.random() < drop:  # inactive after this repeat purchase
            return times, True


def _nps(
    rng: np.random.Generator,
    buyer: npt.NDArray[np.bool_],
    relative_rate: npt.NDArray[np.float64],
    history: _History,
    model: NpsModel,
) -> list[int | None]:
    """NPS answers of about NPS_SHARE of the buyers (see `NpsModel`); None: did not answer."""
    n = len(buyer)
    answered = buyer & (rng.random(n) < NPS_SHARE)
    latent = (
        model.base
        + model.rate * np.clip(np.log(np.maximum(relative_rate, 1e-9)), -3.0, 2.0)
        + model.repeat * np.log1p(history.repeats)
        + model.dropped * history.dropped
        + model.refund * history.refunded
        + rng.normal(0.0, model.noise, n)
    )
    score = np.clip(np.rint(latent), 0, 10).astype(np.int64)
    return [int(s) if a else None for s, a in zip(score, answered, strict=True)]


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
            cost = "" if c.acquisition_cost is None else f"{c.acquisition_cost:.2f}"  # "": no CAC
            writer.writerow(
                [c.customer_id, c.email, c.name, c.acquired_at.date().isoformat(), cost,
                 c.channel, "true" if c.opted_out else "false", "" if c.nps is None else c.nps]
            )  # fmt: skip
    with orders_csv.open("w", encoding="utf-8", newline="") as file:
        writer = csvsafe.writer(file)
        writer.writerow(["order_id", "customer_id", "ordered_at", "amount"])
        for o in shop.orders:
            stamp = o.ordered_at.isoformat(timespec="seconds")
            writer.writerow([o.order_id, o.customer_id, stamp, f"{o.amount:.2f}"])
    return customers_csv, orders_csv
