"""An order row as parsed, and the rules both stores' mergers apply to it.

An order already stored with the same customer, instant and amount is unchanged; with other
content it is a conflict (reported with the stored and the new values) unless the import
updates existing orders. The same order twice in one batch is compared with its earlier row.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from clv.ingest.parsing import format_money
from clv.ingest.runner import Batch, ImportRun


class OrderRow(NamedTuple):
    order_id: str
    customer_id: str
    ordered_at: Any  # in the store's own format (see BulkStore.timestamp)
    ordered_on: Any
    amount_minor: int
    email: str | None
    name: str | None


BatchItem = tuple[int, list[str], OrderRow]  # (line, fields, row)


def latest_in_batch(
    batch: Batch[OrderRow], run: ImportRun, *, update_existing: bool
) -> dict[str, BatchItem]:
    """order id -> its row to merge: the same order twice in a batch is unchanged, a conflict
    (reported on the later line) or, when updating, the later row."""
    report = run.report
    latest: dict[str, BatchItem] = {}
    for item in batch:
        row = item[2]
        earlier = latest.get(row.order_id)
        if earlier is None:
            latest[row.order_id] = item
        elif same_content(earlier[2], row):
            report.unchanged += 1
        elif update_existing:
            latest[row.order_id] = item
            report.updated += 1
        else:
            report.conflicts += 1
            run.reject(
                item[0],
                "order_id",
                f"conflict: order {row.order_id} appears earlier "
                f"in this file (line {earlier[0]}) with different content; use "
                "--update to keep the later row",
                item[1],
            )
    return latest


def same_content(a: OrderRow, b: OrderRow) -> bool:
    return (a.customer_id, a.ordered_at, a.amount_minor) == (
        b.customer_id,
        b.ordered_at,
        b.amount_minor,
    )


def conflict_reason(
    row: OrderRow, stored: tuple[str, Any, int], *, exponent: int, row_at: Any = None
) -> str:
    """Why `row` conflicts with the stored order (customer id, ordered_at, amount);
    `row_at`: the row's instant as the message shows it (default: `row.ordered_at`)."""
    stored_customer, at, amount = stored

    def money(minor: int) -> str:
        return format_money(minor, exponent=exponent)

    shown_at = row.ordered_at if row_at is None else row_at
    return (
        f"conflict: order {row.order_id} is stored as customer "
        f"{stored_customer}, ordered_at {_text(at)}, amount "
        f"{money(amount)}; this row has customer {row.customer_id}, ordered_at "
        f"{_text(shown_at)}, amount {money(row.amount_minor)} "
        "(use --update to replace it)"
    )


def _text(moment: Any) -> str:
    return moment.isoformat() if hasattr(moment, "isoformat") else str(moment)
