"""The export formats `clvbot import orders --format` reads, and recognising them by header.

`generic` is clvbot's own one-row-per-order layout (`order_id, customer_id, ordered_at, amount`);
every other format is reshaped into it as it streams (see `base`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from clv.ingest.formats import lines, platform, shopify
from clv.ingest.formats.base import (
    ORDER_LAYOUT,
    FormatOptions,
    Reshaper,
    Role,
    header_positions,
    role_columns,
)
from clv.ingest.source import CsvSource, ImportFileError, parse_column_map

GENERIC_ROLES = (
    Role("order_id", ("order_id",)),
    Role("customer_id", ("customer_id",)),
    Role("ordered_at", ("ordered_at",)),
    Role("amount", ("amount",)),
    Role("email", ("email",), required=False),
    Role("name", ("name",), required=False),
)
MakeReshaper = Callable[[dict[str, int], int, FormatOptions, int], Reshaper]


@dataclass(frozen=True)
class OrderFormat:
    name: str
    title: str  # as the summary names it
    roles: tuple[Role, ...]
    reshaper: MakeReshaper | None  # None: the generic layout, read as it is
    documented_at: str

    def role_names(self) -> tuple[str, ...]:
        return tuple(role.name for role in self.roles)

    def matches(self, header: Sequence[str], mapping: Mapping[str, str]) -> bool:
        usable = {k: v for k, v in mapping.items() if k in self.role_names()}
        if len(usable) != len(mapping):
            return False
        return not role_columns(header_positions(header), self.roles, usable)[2]


FORMATS: dict[str, OrderFormat] = {
    f.name: f
    for f in (
        OrderFormat(
            "shopify",
            "Shopify orders export",
            shopify.ROLES,
            shopify.ShopifyOrders,
            "https://help.shopify.com/en/manual/fulfillment/managing-orders/exporting-orders",
        ),
        OrderFormat(
            "woocommerce",
            "WooCommerce orders export",
            platform.WOOCOMMERCE.roles,
            platform.woocommerce,
            "https://docs.woocommerce.com/document/ordercustomer-csv-export-developer-documentation/",
        ),
        OrderFormat(
            "stripe",
            "Stripe payments export",
            platform.STRIPE.roles,
            platform.stripe,
            "https://support.stripe.com/questions/exporting-payment-reports",
        ),
        OrderFormat(
            "generic",
            "one row per order",
            GENERIC_ROLES,
            None,
            "README.md, 'Importing data'",
        ),
        OrderFormat(
            "lines",
            "line items",
            lines.ROLES,
            lines.LineItems,
            "https://archive.ics.uci.edu/dataset/352/online+retail",
        ),
    )
}
FORMAT_NAMES = ("auto", *FORMATS)
GENERIC_CUSTOMER_ROLES = (Role("customer_id", ("customer_id",)),)  # see clv.ingest.customers
CUSTOMER_FORMATS: dict[str, OrderFormat] = {
    f.name: f
    for f in (
        OrderFormat(
            "shopify",
            "Shopify customers export",
            shopify.CUSTOMER_ROLES,
            shopify.ShopifyCustomers,
            "https://help.shopify.com/en/manual/customers/import-export-customers",
        ),
        OrderFormat("generic", "one row per customer", GENERIC_CUSTOMER_ROLES, None, "README.md"),
    )
}
CUSTOMER_FORMAT_NAMES = ("auto", *CUSTOMER_FORMATS)


def choose_format(
    name: str,
    source: CsvSource,
    column_map: str | None,
    formats: Mapping[str, OrderFormat] = FORMATS,
) -> tuple[OrderFormat, dict[str, str]]:
    """The format `name` (or, for `auto`, the first whose columns the header has), and the
    `--map` checked against its columns (for the generic layout its import checks it)."""
    if name == "auto":
        every_role = sorted({role.name for f in formats.values() for role in f.roles})
        mapping = parse_column_map(column_map, every_role) if column_map else {}
        generic = formats["generic"]  # first: a file in clvbot's own layout is read as it is
        candidates = (generic, *(f for f in formats.values() if f is not generic))
        chosen = next(
            (f for f in candidates if f.matches(source.header, mapping)),
            generic,  # the generic import names what is missing
        )
    elif name in formats:
        chosen = formats[name]
    else:
        known = ", ".join(("auto", *formats))
        raise ImportFileError(f"--format: unknown format {name!r} (known: {known})")
    if chosen.reshaper is None:
        return chosen, {}
    return chosen, parse_column_map(column_map, chosen.role_names())


def reshape_source(
    source: CsvSource,
    chosen: OrderFormat,
    mapping: dict[str, str],
    options: FormatOptions,
    batch_size: int,
    layout: Sequence[str],
) -> dict[str, str]:
    """Make `source` read as `chosen`, reshaped into `layout`; returns the names the rejects
    give the columns (`total (Total)`)."""
    assert chosen.reshaper is not None
    columns, read_from, missing = role_columns(
        header_positions(source.header), chosen.roles, mapping
    )
    if missing:
        header = ", ".join(source.header) if any(source.header) else "nothing"
        raise ImportFileError(
            f"{source.path}: not a {chosen.title} file: missing column(s) {', '.join(missing)} "
            f"(found: {header}); name them with --map"
        )
    source.reshape = chosen.reshaper(columns, len(source.header), options, batch_size)
    source.columns = {name: i for i, name in enumerate(layout)}
    source.layout_width = len(layout)
    return read_from


__all__ = [
    "CUSTOMER_FORMATS",
    "CUSTOMER_FORMAT_NAMES",
    "FORMATS",
    "FORMAT_NAMES",
    "ORDER_LAYOUT",
    "OrderFormat",
    "choose_format",
    "reshape_source",
]
