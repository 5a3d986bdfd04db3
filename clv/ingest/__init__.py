"""Importing customers and orders from CSV files."""

from clv.ingest.customers import import_customers
from clv.ingest.orders import import_orders, import_orders_from_sql
from clv.ingest.report import ImportReport, Reject, StrictImportError
from clv.ingest.source import ImportFileError

__all__ = [
    "ImportFileError",
    "ImportReport",
    "Reject",
    "StrictImportError",
    "import_customers",
    "import_orders",
    "import_orders_from_sql",
]
