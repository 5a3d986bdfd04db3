"""An exported list as CSV: one header row, then one row per customer in the list's order.

Every cell is text written through `clv.csvsafe.SafeWriter`: a cell a spreadsheet would run as
a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return: a customer called
`=HYPERLINK(...)`, or a refund's negative amount) gets a leading `'`, which
`clv.csvsafe.restore` removes again. Money is in major units of `currency` with that currency's
decimals (`74.02` USD, `7402` JPY), P(alive) a fraction with four decimals, days ISO dates;
an unknown value is an empty cell. UTF-8, no byte-order mark, CRLF line ends (RFC 4180).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import IO

from sqlalchemy import Engine

from clv.csvsafe import SafeWriter
from clv.exports.lists import ExportRow, ExportSummary, ListChoice, export_list
from clv.formatting import major_units
from clv.insights.runs import RunRef
from clv.outreach.policy import OutreachRules

HEADER = (
    "customer_id",
    "email",
    "name",
    "segment",
    "tier",
    "stage",
    "currency",
    "predicted_clv",
    "clv_low",
    "clv_high",
    "historical_value",
    "p_alive",
    "days_since_last_order",
    "value_at_stake",
    "reason",
    "contact_status",
    "contact_reason",
    "arm",
    "list_week",
)


def amount(value: float | None, exponent: int) -> str:
    """`value` in major units with the currency's decimals; '' when unknown."""
    if value is None:
        return ""
    return f"{round(value, exponent) + 0.0:.{exponent}f}"  # + 0.0: -0.0 becomes 0.0, no "-0.00"


def _day(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def csv_cells(row: ExportRow, run: RunRef) -> list[str]:
    """The cells of `row`, in `HEADER`'s order, before neutralising."""
    exponent = run.currency_exponent
    historical = major_units(row.historical_value_minor, exponent)
    contact = row.contact
    return [
        row.customer_id,
        row.email or "",
        row.name or "",
        row.segment,
        row.tier or "",
        row.stage,
        run.currency,
        amount(row.predicted_clv, exponent),
        amount(row.clv_low, exponent),
        amount(row.clv_high, exponent),
        f"{historical:.{exponent}f}",
        "" if row.p_alive is None else f"{row.p_alive:.4f}",
        "" if row.days_since_last is None else str(row.days_since_last),
        amount(row.value_at_stake, exponent),
        row.reason,
        contact.status,
        contact.reason or "",
        contact.arm or "",
        _day(contact.list_week),
    ]


class CsvSink:
    """Writes an export as CSV to `file` (a text file opened with `newline=""`)."""

    def __init__(self, file: IO[str]) -> None:
        self._writer = SafeWriter(file)
        self._run: RunRef | None = None

    def begin(self, run: RunRef, choice: ListChoice) -> None:
        self._run = run
        self._writer.writerow(HEADER)

    def write(self, rows: Sequence[ExportRow]) -> None:
        run = self._run
        assert run is not None, "begin() comes first"
        self._writer.writerows(csv_cells(row, run) for row in rows)

    def finish(self, summary: ExportSummary) -> None:
        pass


def write_csv(
    engine: Engine, choice: ListChoice, file: IO[str], *, rules: OutreachRules, now: datetime
) -> ExportSummary:
    """The whole list `choice` of the current run as CSV into `file` (see `export_list`)."""
    return export_list(engine, choice, CsvSink(file), rules=rules, now=now)
