"""WooCommerce and Stripe exports: one row per order or payment (`--format woocommerce|stripe`).

Both are read by `OrderRows` with a `Platform` that says which statuses are purchases and
which columns hold the order's facts.

**WooCommerce**: the official "Customer / Order / Coupon Export" extension, Default format
(WooCommerce > Export > Orders; columns documented at
https://docs.woocommerce.com/document/ordercustomer-csv-export-developer-documentation/ , and
"use the column names / keys, which are guaranteed to never change"). Purchases are the
statuses WooCommerce Analytics counts by default (https://woocommerce.com/document/woocommerce-analytics/
excludes `pending`, `failed` and `cancelled`): `processing`, `on-hold`, `completed` and
`refunded` (https://woocommerce.github.io/code-reference/classes/Automattic-WooCommerce-Enums-OrderStatus.html);
a `wc-` prefix is dropped. `refunded_total` (partial or full) becomes a refund record. The
customer is the `billing_email`, lower-cased (`customer_id` is 0 for guests). `date` is the
site's local time without an offset: it is read in TIMEZONE.

**Stripe**: the Dashboard's payments export (Payments > Export,
https://support.stripe.com/questions/exporting-payment-reports). One row per payment, amounts in
major units as the Dashboard writes them (`12.50`; the API's `amount` is "a positive integer
... in the smallest currency unit", https://docs.stripe.com/api/charges/object: an API dump is
not this format). Purchases: `Paid` and `Refunded` payments; `Failed` and uncaptured ones are
skipped. `Amount Refunded` (partial or full) becomes a refund record. The customer is the
`Customer Email`, lower-cased, else the `Customer ID`. `Created date (UTC)` is in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass

from clv.ingest.formats.base import (
    FormatOptions,
    Gatherer,
    OrderFacts,
    Role,
    RowReshaper,
    add_platform_order,
    order_amounts,
)
from clv.ingest.parsing import FieldError


@dataclass(frozen=True)
class Platform:
    """What distinguishes one platform's one-row-per-order export."""

    roles: tuple[Role, ...]
    purchases: frozenset[str]  # statuses (lower-case) that are purchases
    not_purchases: frozenset[str]  # statuses that are skipped and counted
    skipped_as: str  # how the summary names the skipped ones
    status_prefix: str = ""  # dropped from a status (`wc-completed`)
    utc: bool = False  # the timestamps are UTC whatever TIMEZONE says
    refunded_in_full: str | None = None  # a status whose refund may be left blank
    without_customer: str = "orders without a customer email"  # how the summary names them


WOOCOMMERCE = Platform(
    roles=(
        Role("order_id", ("order_id",)),
        Role("status", ("status",)),
        Role("ordered_at", ("date", "order_date")),
        Role("total", ("order_total",)),
        Role("email", ("billing_email",)),
        Role("refunded", ("refunded_total",), required=False),
        Role("currency", ("order_currency",), required=False),
        Role("first_name", ("billing_first_name",), required=False),
        Role("last_name", ("billing_last_name",), required=False),
    ),
    purchases=frozenset({"processing", "on-hold", "completed", "refunded"}),
    not_purchases=frozenset({"pending", "failed", "cancelled", "checkout-draft", "draft", "trash"}),
    skipped_as="orders not paid (pending, failed, cancelled, draft)",
    status_prefix="wc-",
    refunded_in_full="refunded",
)
STRIPE = Platform(
    roles=(
        Role("order_id", ("id",)),
        Role("status", ("Status",)),
        Role("ordered_at", ("Created date (UTC)", "Created (UTC)")),
        Role("total", ("Amount",)),
        Role("refunded", ("Amount Refunded",), required=False),
        Role("currency", ("Currency",), required=False),
        Role("email", ("Customer Email",), required=False),
        Role("customer_id", ("Customer ID",), required=False),
        Role("name", ("Customer Description", "Card Name"), required=False),
    ),
    purchases=frozenset({"paid", "refunded", "partially refunded", "succeeded"}),
    not_purchases=frozenset({"failed", "uncaptured", "canceled", "incomplete", "pending"}),
    skipped_as="payments not paid (failed, uncaptured, canceled)",
    without_customer="payments without a customer",
    utc=True,
    refunded_in_full="refunded",
)


class OrderRows(RowReshaper):
    """The reshaper of a one-row-per-order platform export (see the module docstring)."""

    def __init__(
        self,
        platform: Platform,
        columns: dict[str, int],
        width: int,
        options: FormatOptions,
        batch_size: int,
    ) -> None:
        super().__init__(columns, width, options, batch_size)
        self.platform = platform

    def row(self, line: int, fields: list[str], gather: Gatherer) -> None:
        platform, c = self.platform, self.columns
        status = fields[c["status"]].strip().lower().removeprefix(platform.status_prefix)
        if status in platform.not_purchases:
            gather.skip(platform.skipped_as)
            return
        email = fields[i].strip().lower() if (i := c.get("email")) is not None else ""
        customer = email or (fields[i].strip() if (i := c.get("customer_id")) is not None else "")
        if not customer:
            gather.skip(platform.without_customer)
            return

        def facts() -> OrderFacts:
            if status not in platform.purchases:
                known = sorted(platform.purchases | platform.not_purchases)
                raise FieldError("status", f"unknown status {status!r} (known: {', '.join(known)})")
            return self._facts(fields, status, customer, email)

        add_platform_order(gather, line, fields, self.money, facts)

    def _facts(self, fields: list[str], status: str, customer: str, email: str) -> OrderFacts:
        c = self.columns
        in_full = status == self.platform.refunded_in_full
        total, refunded = order_amounts(fields, c, self.money, refunded_in_full=in_full)
        at = fields[c["ordered_at"]].strip()
        if self.platform.utc and at:
            at += "+00:00"
        return OrderFacts(
            fields[c["order_id"]].strip(), customer, at, total, refunded, email, self._name(fields)
        )

    def _name(self, fields: list[str]) -> str:
        c = self.columns
        if (i := c.get("name")) is not None:
            return fields[i].strip()
        parts = (fields[c[k]].strip() for k in ("first_name", "last_name") if k in c)
        return " ".join(p for p in parts if p)


def woocommerce(
    columns: dict[str, int], width: int, options: FormatOptions, batch_size: int
) -> OrderRows:
    return OrderRows(WOOCOMMERCE, columns, width, options, batch_size)


def stripe(
    columns: dict[str, int], width: int, options: FormatOptions, batch_size: int
) -> OrderRows:
    return OrderRows(STRIPE, columns, width, options, batch_size)
