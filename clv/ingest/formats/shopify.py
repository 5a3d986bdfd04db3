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

from collections.abc import Iterator

from clv.ingest.formats.base import (
    FormatOptions,
    Gatherer,
    Lines,
    OrderFacts,
    Reshaped,
    ReshapedBatch,
    Role,
    add_order,
    check_currency,
    parse_amount,
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


class ShopifyOrders:
    """The reshaper of Shopify's orders export (see the module docstring)."""

    def __init__(
        self, columns: dict[str, int], width: int, options: FormatOptions, batch_size: int
    ) -> None:
        self.columns = columns
        self.width = width
        self.money = options.money
        self.batch_size = batch_size

    def __call__(self, batches: Iterator[Lines]) -> Iterator[ReshapedBatch]:
        gather = Gatherer(self.batch_size)
        i_name, width = self.columns["order_name"], self.width
        current: str | None = None
        for lines in batches:
            for line, fields in lines:
                if len(fields) != width:
                    reason = f"expected {width} fields as in the header, found {len(fields)}"
                    gather.add(line, Reshaped.rejected("(row)", reason, fields))
                    continue
                name = fields[i_name].strip()
                if name == current:
                    continue  # another line item of the order: its fields are on the first row
                current = name
                self._order(line, fields, gather)
            yield from gather.read(len(lines))
        yield from gather.flush()

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
        try:
            if status not in PURCHASES:
                raise FieldError(
                    "financial_status",
                    f"unknown financial status {status!r} (known: "
                    f"{', '.join(sorted(PURCHASES | UNPAID | {'voided'}))})",
                )
            order = self._facts(fields, status, customer or email, email)
        except FieldError as exc:
            gather.add(line, Reshaped.rejected(exc.column, exc.reason, fields))
            return
        add_order(gather, line, order, fields, self.money)

    def _facts(self, fields: list[str], status: str, customer: str, email: str) -> OrderFacts:
        c, money = self.columns, self.money
        check_currency(fields, c.get("currency"), money, "currency")
        total = parse_amount(fields, c["total"], money, "total", empty=None)
        refunded = parse_amount(fields, c.get("refunded"), money, "refunded", empty=0)
        if status == "refunded" and not refunded:
            refunded = total
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


class ShopifyCustomers:
    """Reshapes Shopify's customers export into `CUSTOMER_LAYOUT`.

    The customer is the `Email`, lower-cased, as in the orders export (which carries no
    customer id); `Accepts Email Marketing` = `no` opts the customer out; the first tag the
    user maps (`--channel-tags instagram=Instagram`) is the acquisition channel.
    """

    def __init__(
        self, columns: dict[str, int], width: int, options: FormatOptions, batch_size: int
    ) -> None:
        self.columns = columns
        self.width = width
        self.channel_tags = {k.strip().lower(): v for k, v in options.channel_tags.items()}
        self.batch_size = batch_size

    def __call__(self, batches: Iterator[Lines]) -> Iterator[ReshapedBatch]:
        gather = Gatherer(self.batch_size)
        for lines in batches:
            for line, fields in lines:
                if len(fields) != self.width:
                    reason = f"expected {self.width} fields as in the header, found {len(fields)}"
                    gather.add(line, Reshaped.rejected("(row)", reason, fields))
                else:
                    self._customer(line, fields, gather)
            yield from gather.read(len(lines))
        yield from gather.flush()

    def _customer(self, line: int, fields: list[str], gather: Gatherer) -> None:
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
        if "tags" not in self.columns or not self.channel_tags:
            return ""
        for tag in fields[self.columns["tags"]].split(","):
            channel = self.channel_tags.get(tag.strip().lower())
            if channel:
                return channel
        return ""
