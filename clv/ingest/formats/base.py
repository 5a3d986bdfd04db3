"""What every export format shares: the order layout it is reshaped into, and its bookkeeping.

A platform export (Shopify's one row per line item, a retail file's one row per product line)
is reshaped, as it streams, into orders in the generic layout (`ORDER_LAYOUT`); from there on
the import is the generic one, with the same validation, merge, transaction and report. A
reshaped order remembers the first input line it came from (`Reshaped.original`), so the rejects
file keeps the export's own header and rows, and can be fixed and imported again as it is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from clv.ingest.parsing import FieldError, MoneyText, format_money

ORDER_LAYOUT = ("order_id", "customer_id", "ordered_at", "amount", "email", "name")
CUSTOMER_LAYOUT = ("customer_id", "email", "name", "opted_out", "channel")
Lines = list[tuple[int, list[str]]]


class Reshaped(list[str]):
    """One order in `ORDER_LAYOUT`, built from the input row `original` (its first line).

    `problem`: (column, reason) when the input cannot make an order; the import rejects it
    with that reason instead of parsing the fields.
    """

    __slots__ = ("original", "problem")  # no __dict__: made, and pickled, for every order
    original: list[str]
    problem: tuple[str, str] | None

    @classmethod
    def order(cls, values: Sequence[str], original: list[str]) -> Reshaped:
        row = cls(values)
        row.original = original
        row.problem = None
        return row

    @classmethod
    def rejected(cls, column: str, reason: str, original: list[str]) -> Reshaped:
        row = cls([""] * len(ORDER_LAYOUT))  # never read: the problem is reported instead
        row.original = original
        row.problem = (column, reason)
        return row


class ReshapedBatch(list[tuple[int, Reshaped]]):
    """A batch of reshaped orders, with what the input lines behind it held besides orders."""

    lines_read: int = 0  # input lines (records) consumed for this batch
    skipped: Counter[str]  # reason -> count, e.g. "lines without a customer"


def original_fields(fields: list[str]) -> list[str]:
    """The input row behind `fields` (itself for an import that is not reshaped)."""
    return getattr(fields, "original", fields)


Reshaper = Callable[[Iterator[Lines]], Iterator[ReshapedBatch]]


@dataclass(frozen=True)
class Role:
    """A column an export format reads: our name for it and the header(s) the export uses."""

    name: str
    headers: tuple[str, ...]  # the first one found in the file's header is read
    required: bool = True


@dataclass(frozen=True)
class FormatOptions:
    """What a reshaper needs to know of the deployment and the command line."""

    money: MoneyText
    date_format: str | None = None
    channel_tags: Mapping[str, str] = field(default_factory=dict)  # customer tag -> channel


@dataclass
class Gatherer:
    """Collects reshaped orders into batches of about `size` and counts what was skipped."""

    size: int
    batch: ReshapedBatch = field(default_factory=ReshapedBatch)

    def __post_init__(self) -> None:
        self.batch.skipped = Counter()

    def add(self, line: int, row: Reshaped) -> None:
        self.batch.append((line, row))

    def skip(self, reason: str, count: int = 1) -> None:
        self.batch.skipped[reason] += count

    def read(self, lines: int) -> Iterator[ReshapedBatch]:
        """Count `lines` input lines as consumed; hand over the batch when it is full."""
        self.batch.lines_read += lines
        if len(self.batch) >= self.size:
            yield from self.flush()

    def flush(self) -> Iterator[ReshapedBatch]:
        if self.batch or self.batch.lines_read or self.batch.skipped:
            done, self.batch = self.batch, ReshapedBatch()
            self.batch.skipped = Counter()
            yield done


def amount_text(minor: int, money: MoneyText) -> str:
    """An amount in minor units written as the generic layout reads it (`1296.00`)."""
    return format_money(minor, exponent=money.exponent)


def parse_amount(
    fields: list[str], index: int | None, money: MoneyText, column: str, *, empty: int | None
) -> int:
    """The amount in `fields[index]` in minor units; `empty` when it is blank (None: missing)."""
    text = fields[index].strip() if index is not None else ""
    if not text:
        if empty is None:
            raise FieldError(column, "missing amount")
        return empty
    return money.parse(text, column=column)


def check_currency(fields: list[str], index: int | None, money: MoneyText, column: str) -> None:
    """A currency column must name the deployment's CURRENCY (blank: it is not said)."""
    if index is None:
        return
    code = fields[index].strip().upper()
    if code and code != money.currency:
        raise FieldError(
            column,
            f"the order is in {code}, not {money.currency} (CURRENCY): "
            "import each currency into its own clvbot",
        )


def role_columns(
    header_positions: Mapping[str, int], roles: Sequence[Role], mapping: Mapping[str, str]
) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """(role -> column index, role -> the header it was read from, missing required roles)."""
    columns: dict[str, int] = {}
    read_from: dict[str, str] = {}
    missing: list[str] = []
    for role in roles:
        candidates = (mapping[role.name],) if role.name in mapping else role.headers
        for header in candidates:
            if header.lower() in header_positions:
                columns[role.name] = header_positions[header.lower()]
                read_from[role.name] = header
                break
        else:
            if role.required or role.name in mapping:
                missing.append(f"{role.name} ({' or '.join(map(repr, candidates))})")
    return columns, read_from, missing


def header_positions(header: Sequence[str]) -> dict[str, int]:
    """lower-cased header -> its first position."""
    positions: dict[str, int] = {}
    for i, name in enumerate(header):
        positions.setdefault(name.strip().lower(), i)
    return positions


def any_problem(rows: Sequence[Any]) -> bool:
    """Whether a batch holds a row the reshaper could not make an order of."""
    return any(getattr(fields, "problem", None) for _, fields in rows)


REFUND_SUFFIX = ":refund"  # a platform's refunded amount is stored as order `<id>:refund`


@dataclass(frozen=True)
class OrderFacts:
    """One platform order as its export states it (amounts in minor units)."""

    order_id: str
    customer_id: str
    ordered_at: str
    total: int
    refunded: int
    email: str
    name: str


def order_amounts(
    fields: list[str], columns: Mapping[str, int], money: MoneyText, *, refunded_in_full: bool
) -> tuple[int, int]:
    """(total, refunded) of a platform's order in minor units, its currency checked; an order
    whose status says it was refunded in full, without a refunded amount, is refunded its
    total."""
    check_currency(fields, columns.get("currency"), money, "currency")
    total = parse_amount(fields, columns["total"], money, "total", empty=None)
    refunded = parse_amount(fields, columns.get("refunded"), money, "refunded", empty=0)
    return total, (total if refunded_in_full and not refunded else refunded)


def add_platform_order(
    gather: Gatherer,
    line: int,
    fields: list[str],
    money: MoneyText,
    facts: Callable[[], OrderFacts],
) -> None:
    """The order `facts()` reads from `fields` (see `add_order`), or its reject."""
    try:
        order = facts()
    except FieldError as exc:
        gather.add(line, Reshaped.rejected(exc.column, exc.reason, fields))
        return
    add_order(gather, line, order, fields, money)


def add_order(
    gather: Gatherer, line: int, order: OrderFacts, fields: list[str], money: MoneyText
) -> None:
    """The order as a purchase of its total, and what was refunded of it as a refund record
    (`<id>:refund`, a negative amount on the order's date: the exports do not date refunds)."""
    if order.refunded > order.total:
        gather.add(
            line,
            Reshaped.rejected(
                "refunded",
                f"refunded {amount_text(order.refunded, money)} is more than the order's "
                f"total {amount_text(order.total, money)}",
                fields,
            ),
        )
        return
    common = (order.customer_id, order.ordered_at)
    contact = (order.email, order.name)
    gather.add(
        line,
        Reshaped.order(
            (order.order_id, *common, amount_text(order.total, money), *contact), fields
        ),
    )
    if order.refunded:
        refund = amount_text(-order.refunded, money)
        gather.add(
            line,
            Reshaped.order((order.order_id + REFUND_SUFFIX, *common, refund, *contact), fields),
        )


class RowReshaper:
    """A reshaper that reads the export a row at a time (`row` says what a row holds)."""

    def __init__(
        self, columns: dict[str, int], width: int, options: FormatOptions, batch_size: int
    ) -> None:
        self.columns = columns
        self.width = width
        self.options = options
        self.money = options.money
        self.batch_size = batch_size

    def __call__(self, batches: Iterator[Lines]) -> Iterator[ReshapedBatch]:
        gather = Gatherer(self.batch_size)
        for lines in batches:
            for line, fields in lines:
                if len(fields) != self.width:
                    reason = f"expected {self.width} fields as in the header, found {len(fields)}"
                    gather.add(line, Reshaped.rejected("(row)", reason, fields))
                else:
                    self.row(line, fields, gather)
            yield from gather.read(len(lines))
        yield from gather.flush()

    def row(self, line: int, fields: list[str], gather: Gatherer) -> None:
        raise NotImplementedError
