"""Bundled sample data: the CDNOW purchase records (see `cdnow/README.md` for provenance)."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.resources import as_file, files
from pathlib import Path
from typing import Literal, NamedTuple

from clv import csvsafe
from clv.datasets.shop import Shop, ShopParams, generate_shop, write_shop_csvs

__all__ = [
    "CdnowPurchase",
    "Shop",
    "ShopParams",
    "cdnow_path",
    "cdnow_purchases",
    "export_sample_path",
    "generate_shop",
    "write_cdnow_orders_csv",
    "write_shop_csvs",
]

CDNOW_FILES = {"sample": "CDNOW_sample.txt", "master": "CDNOW_master.txt"}


class CdnowPurchase(NamedTuple):
    """One line of a CDNOW file: several purchases on one day stay separate orders."""

    order_id: str
    customer_id: str
    ordered_on: str  # YYYYMMDD
    amount: str  # dollars, as written in the file


EXPORT_SAMPLES = {
    "shopify": "shopify_orders.csv",
    "shopify-customers": "shopify_customers.csv",
    "woocommerce": "woocommerce_orders.csv",
    "stripe": "stripe_payments.csv",
    "lines": "online_retail_lines.csv",
}


def export_sample_path(kind: str) -> Path:
    """A small sample export of a platform (see `EXPORT_SAMPLES`), e.g. `"shopify"`."""
    with as_file(files("clv.datasets") / "exports" / EXPORT_SAMPLES[kind]) as path:
        return Path(path)


def cdnow_path(name: str) -> Path:
    """The path of a bundled CDNOW file, e.g. `cdnow_path("CDNOW_sample.txt")`."""
    with as_file(files("clv.datasets") / "cdnow" / name) as path:
        return Path(path)


def cdnow_purchases(which: Literal["sample", "master"] = "sample") -> Iterator[CdnowPurchase]:
    """The purchases of the CDNOW sample (2,357 customers) or master file (23,570).

    Customer ids are the sample's own ids 1..2357 (the ids of the published summaries) for the
    sample, and the master ids for the master file; order ids are `cdnow-<which>-<line>`.
    """
    with cdnow_path(CDNOW_FILES[which]).open(encoding="ascii") as file:
        for line_no, line in enumerate(file, start=1):
            fields = line.split()
            if which == "master" and line_no == 1:
                continue  # header
            if which == "sample":
                _master_id, customer, day, _cds, amount = fields
            else:
                customer, day, _cds, amount = fields
            yield CdnowPurchase(f"cdnow-{which}-{line_no}", str(int(customer)), day, amount)


def write_cdnow_orders_csv(target: Path, which: Literal["sample", "master"] = "sample") -> Path:
    """Write the CDNOW purchases as an orders CSV that `clvbot import orders` reads."""
    with target.open("w", encoding="utf-8", newline="") as file:
        writer = csvsafe.writer(file)
        writer.writerow(["order_id", "customer_id", "ordered_at", "amount"])
        writer.writerows(cdnow_purchases(which))
    return target
