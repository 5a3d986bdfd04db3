"""Shopify's orders export (`--format shopify`): Orders > Export > "Plain CSV file".

Shopify documents the file at https://help.shopify.com/en/manual/fulfillment/managing-orders/exporting-orders
("Order export CSV file format"): one row per line item, the order's own fields (`Financial
Status`, `Total`, `Created at`, `Currency`, `Refunded Amount`, `Cancelled at`, `Id` ...) filled
on the first row of each order only; the rows of an order share its `Name` (`#1001`).

- The order is the `Id` where the export has one (else the `Name`); its customer is the
  customer id where the export carries one (`Customer ID`), else the `Email`, lower-cased.
- Purchases: the financial statuses `paid`, `partially_paid`, `partially_refunded` and
  `refunded` (a refund record cancels it). Not purchases, counted and skipped: `voided`, an
  order with a `Cancelled at`, and the unpaid `pending`, `authorized` and `expired`.
- `Refunded Amount` becomes a refund record against the order (see `add_order`); a `refunded`
  order without one is refunded in full. Amounts as written (`1,296.00`); `Currency` must be
  CURRENCY. `Created at` carries its UTC offset (`2024-03-05 10:15:00 -0500`).
"""

from __future__ import annotations

from functools import cached_property

from clv.ingest.formats.base import (
    Gatherer,
    OrderFacts,
    Reshaped,
    Role,
    RowReshaper,
    add_platform_order,
    order_amounts,
)
from clv.ingest.parsing import FieldError

ROLES = (
    Role("order_name", ("Name",)),
    Role("email", ("Email",)),
    Role("financial_status", ("Financial Status",)),
    Role("total", ("Total",)),
    Role("ordered_at", ("Created at",)),
    Role("order_id", ("Id",), required=False),
    Role("customer_id", ("Customer ID", "Customer Id"), required=False),
    Role("refunded", ("Refunded Amount",), required=False),
    Role("currency", ("Currency",), required=False),
    Role("cancelled_at", ("Cancelled at",), required=False),
    Role("name", ("Billing Name",), required=False),
)
PURCHASES = frozenset({"paid", "partially_paid", "partially_refunded", "refunded"})
UNPAID = frozenset({"pending", "authorized", "expired"})
NOT_PURCHASED = "voided or cancelled orders"
NOT_PAID = "unpaid orders (pending, authorized, expired)"
NO_CUSTOMER = "orders without a customer email"


class ShopifyOrders(RowReshaper):
    """The reshaper of Shopify's orders export (see the module docstring)."""

    current: str | None = None  # the `Name` of the order being read

    def row(self, line: int, fields: list[str], gather: Gatherer) -> None:
        name = fields[self.columns["order_name"]].strip()
        if name != self.current:  # another line item of the order: its fields are on the first
            self.current = name
            self._order(line, fields, gather)

    def _order(self, line: int, fields: list[str], gather: Gatherer) -> None:
        c = self.columns
        status = fields[c["financial_status"]].strip().lower()
        cancelled = (i := c.get("cancelled_at")) is not None and fields[i].strip()
        if status == "voided" or cancelled:
            gather.skip(NOT_PURCHASED)
            return
        if status in UNPAID:
            gather.skip(NOT_PAID)
            return
        email = fields[c["email"]].strip().lower()
        customer = fields[i].strip() if (i := c.get("customer_id")) is not None else ""
        if not (customer or email):
            gather.skip(NO_CUSTOMER)
            return

        def facts() -> OrderFacts:
            if status not in PURCHASES:
                raise FieldError(
                    "financial_status",
                    f"unknown financial status {status!r} (known: "
                    f"{', '.join(sorted(PURCHASES | UNPAID | {'voided'}))})",
                )
            return self._facts(fields, status, customer or email, email)

        add_platform_order(gather, line, fields, self.money, facts)

    def _facts(self, fields: list[str], status: str, customer: str, email: str) -> OrderFacts:
        c = self.columns
        total, refunded = order_amounts(
            fields, c, self.money, refunded_in_full=status == "refunded"
        )
        order_id = fields[i].strip() if (i := c.get("order_id")) is not None else ""
        name = fields[i].strip() if (i := c.get("name")) is not None else ""
        return OrderFacts(
            order_id or fields[c["order_name"]].strip(),
            customer,
            fields[c["ordered_at"]].strip(),
            total,
            refunded,
            email,
            name,
        )


# Shopify's customers export (Customers > Export), documented with the import template at
# https://help.shopify.com/en/manual/customers/import-export-customers: `Customer ID` (written
# with a leading apostrophe), `First Name`, `Last Name`, `Email`, `Accepts Email Marketing`
# (`yes`/`no`; `Accepts Marketing` in older exports), ..., `Tags`.
CUSTOMER_ROLES = (
    Role("email", ("Email",)),
    Role("accepts_marketing", ("Accepts Email Marketing", "Accepts Marketing")),
    Role("first_name", ("First Name",), required=False),
    Role("last_name", ("Last Name",), required=False),
    Role("tags", ("Tags",), required=False),
)
NO_EMAIL = "customers without an email"
_ACCEPTS = {"yes": "false", "true": "false", "no": "true", "false": "true"}  # -> opted_out


class ShopifyCustomers(RowReshaper):
    """Reshapes Shopify's customers export into `CUSTOMER_LAYOUT`.

    The customer is the `Email`, lower-cased, as in the orders export (which carries no
    customer id); `Accepts Email Marketing` = `no` opts the customer out; the first tag the
    user maps (`--channel-tags instagram=Instagram`) is the acquisition channel.
    """

    @cached_property
    def channels(self) -> dict[str, str]:
        return {k.strip().lower(): v for k, v in self.options.channel_tags.items()}

    def row(self, line: int, fields: list[str], gather: Gatherer) -> None:
        c = self.columns
        email = fields[c["email"]].strip().lower()
        if not email:
            gather.skip(NO_EMAIL)
            return
        accepts = fields[c["accepts_marketing"]].strip().lower()
        opted_out = _ACCEPTS.get(accepts)
        if opted_out is None:
            reason = f"expected yes or no, got {accepts!r}"
            gather.add(line, Reshaped.rejected("accepts_marketing", reason, fields))
            return
        names = (fields[c[k]].strip() for k in ("first_name", "last_name") if k in c)
        name = " ".join(n for n in names if n)
        values = (email, email, name, opted_out, self._channel(fields))
        gather.add(line, Reshaped.order(values, fields))

    def _channel(self, fields: list[str]) -> str:
        if "tags" not in self.columns or not self.channels:
            return ""
        for tag in fields[self.columns["tags"]].split(","):
            channel = self.channels.get(tag.strip().lower())
            if channel:
                return channel
        return ""
