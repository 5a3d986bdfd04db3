"""Line-item files: one row per product line of an invoice (`--format lines`).

The layout of retail data sets such as the UCI "Online Retail" file (Chen, Sain & Guo 2012,
https://archive.ics.uci.edu/dataset/352/online+retail): `InvoiceNo, StockCode, Description,
Quantity, InvoiceDate, UnitPrice, CustomerID, Country`. `--map` names the columns of other
layouts (`invoice=Order,quantity=Qty,unit_price=Price`).

- An order is one invoice: the sum of quantity x unit price over its lines, rounded half away
  from zero to the currency's minor unit once per invoice (unit prices may carry up to four
  more decimals than the currency, as the UCI file's `0.001` does).
- An invoice whose number starts with `C` (the UCI file's cancellations), or whose lines sum to
  less than zero (returns written as negative quantities), is a refund: a negative amount.
- The invoice's date, customer, email and name are those of its first line; its lines must be
  next to each other, as the file writes them (sort other files by invoice first).
- Lines without a customer are counted and skipped, reported once in the summary; so are
  cancellations worth nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from clv.ingest.formats.base import (
    FormatOptions,
    Gatherer,
    Lines,
    Reshaped,
    ReshapedBatch,
    Role,
    RowReshaper,
    amount_text,
)
from clv.ingest.parsing import DateFormat, FieldError, parse_money

ROLES = (
    Role("invoice", ("InvoiceNo", "Invoice", "invoice_id", "order_id")),
    Role("quantity", ("Quantity", "qty")),
    Role("ordered_at", ("InvoiceDate", "ordered_at", "date")),
    Role("unit_price", ("UnitPrice", "Price", "unit_price")),
    Role("customer_id", ("CustomerID", "Customer ID", "customer_id")),
    Role("email", ("email", "Email"), required=False),
    Role("name", ("name", "Name"), required=False),
)
EXTRA_DECIMALS = 4  # unit prices may be finer than the currency's minor unit by this much
_SCALE = 10**EXTRA_DECIMALS
NO_CUSTOMER = "lines without a customer"
EMPTY_CANCELLATION = "cancellations worth nothing"


class _Invoice:
    """The invoice being read: its first line and the running total (in 1/_SCALE minor units)."""

    __slots__ = (
        "customer",
        "fields",
        "good",
        "line",
        "number",
        "problem",
        "raw_customer",
        "total",
    )

    def __init__(self, number: str, line: int, fields: list[str], customer: str) -> None:
        self.number = number
        self.line = line
        self.fields = fields
        self.raw_customer = customer
        self.customer = customer.strip()
        self.total = 0
        self.problem: FieldError | None = None
        self.good = bool(self.customer)  # its lines are added up: a customer, no problem yet

    def fail(self, problem: FieldError) -> None:
        """The invoice cannot be imported (its first problem is the one reported)."""
        self.problem = self.problem or problem
        self.good = False


class LineItems(RowReshaper):
    """The reshaper of a line-item file (see the module docstring); its own loop over the
    lines, the hot path of the largest files."""

    def __init__(
        self, columns: dict[str, int], width: int, options: FormatOptions, batch_size: int
    ) -> None:
        super().__init__(columns, width, options, batch_size)
        self.date_format = options.date_format
        self._i_date = columns["ordered_at"]
        self._i_email, self._i_name = columns.get("email"), columns.get("name")
        self._strptime = DateFormat(options.date_format) if options.date_format else None
        self._prices: dict[str, int] = {}
        self._dates: dict[str, str] = {}

    def __call__(self, batches: Iterator[Lines]) -> Iterator[ReshapedBatch]:
        gather = Gatherer(self.batch_size)
        invoice: _Invoice | None = None
        c = self.columns
        i_invoice, i_customer = c["invoice"], c["customer_id"]
        i_quantity, i_price = c["quantity"], c["unit_price"]
        width, prices = self.width, self._prices
        for lines in batches:
            for line, fields in lines:
                # the hot path: one more line of a good invoice, at a price seen before
                if (
                    invoice is not None
                    and invoice.good
                    and len(fields) == width
                    and fields[i_invoice] == invoice.number
                    and fields[i_customer] == invoice.raw_customer
                    and (price := prices.get(fields[i_price])) is not None
                ):
                    try:
                        invoice.total += int(fields[i_quantity]) * price
                        continue
                    except ValueError:
                        pass  # the line below names the problem
                invoice = self._line(invoice, line, fields, gather)
            yield from gather.read(len(lines))
        self._close(invoice, gather)
        yield from gather.flush()

    def _line(
        self, invoice: _Invoice | None, line: int, fields: list[str], gather: Gatherer
    ) -> _Invoice:
        """Any line: the first of an invoice, or one with something to say; returns the
        invoice it belongs to."""
        c, width = self.columns, self.width
        i_invoice, i_customer = c["invoice"], c["customer_id"]
        if len(fields) != width:
            number = fields[i_invoice] if len(fields) > i_invoice else ""
            if invoice is None or number != invoice.number:
                self._close(invoice, gather)
                invoice = _Invoice(number, line, fields, "?")
            reason = f"line {line}: expected {width} fields as in the header, found {len(fields)}"
            invoice.fail(FieldError("(row)", reason))
            return invoice
        if invoice is None or fields[i_invoice] != invoice.number:
            self._close(invoice, gather)
            invoice = _Invoice(fields[i_invoice], line, fields, fields[i_customer])
        elif fields[i_customer] != invoice.raw_customer:
            invoice.fail(_two_customers(invoice, line, fields[i_customer]))
        if not invoice.customer:
            gather.skip(NO_CUSTOMER)
        elif invoice.problem is None:
            try:
                invoice.total += int(fields[c["quantity"]]) * self._price(fields[c["unit_price"]])
            except ValueError:
                invoice.fail(_quantity_problem(line, fields[c["quantity"]]))
            except FieldError as exc:
                invoice.fail(FieldError(exc.column, f"line {line}: {exc.reason}"))
        return invoice

    def _price(self, text: str) -> int:
        """A unit price in 1/_SCALE minor units (cached: a shop has few distinct prices)."""
        scaled = self._prices.get(text)
        if scaled is None:
            plain = self.money.plain(text, column="unit_price")
            exponent = self.money.exponent + EXTRA_DECIMALS
            scaled = parse_money(
                plain, column="unit_price", exponent=exponent, currency=self.money.currency
            )
            if len(self._prices) < 100_000:
                self._prices[text] = scaled
        return scaled

    def _close(self, invoice: _Invoice | None, gather: Gatherer) -> None:
        """Hand over the finished invoice as an order (or a refund, or a reject)."""
        if invoice is None or (not invoice.customer and invoice.problem is None):
            return
        if invoice.problem is not None:
            problem = invoice.problem
            gather.add(
                invoice.line, Reshaped.rejected(problem.column, problem.reason, invoice.fields)
            )
            return
        total = invoice.total
        minor = (abs(total) + _SCALE // 2) // _SCALE
        number = invoice.number.strip()
        if number[:1] in ("C", "c") or total < 0:
            if minor == 0:
                gather.skip(EMPTY_CANCELLATION)
                return
            minor = -minor
        fields = invoice.fields
        try:
            at = self._date(fields[self._i_date])
        except FieldError as exc:
            gather.add(invoice.line, Reshaped.rejected(exc.column, exc.reason, fields))
            return
        email = fields[self._i_email].strip() if self._i_email is not None else ""
        name = fields[self._i_name].strip() if self._i_name is not None else ""
        values = (number, invoice.customer, at, amount_text(minor, self.money), email, name)
        gather.add(invoice.line, Reshaped.order(values, fields))

    def _date(self, text: str) -> str:
        """The invoice date as the generic layout reads it (ISO), via `--date-format`."""
        if self._strptime is None:
            return text
        iso = self._dates.get(text)
        if iso is None:
            try:
                iso = self._strptime(text.strip()).isoformat(" ")
            except ValueError:
                raise FieldError(
                    "ordered_at",
                    f"cannot read date {text!r} (expected format {self.date_format!r})",
                ) from None
            if len(self._dates) >= 100_000:
                self._dates.clear()
            self._dates[text] = iso
        return iso


def _two_customers(invoice: _Invoice, line: int, other: str) -> FieldError:
    return FieldError(
        "customer_id",
        f"invoice {invoice.number} has lines of two customers: {invoice.customer!r} "
        f"(line {invoice.line}) and {other.strip()!r} (line {line})",
    )


def _quantity_problem(line: int, text: str) -> FieldError:
    return FieldError("quantity", f"line {line}: not a whole number: {text!r}")
