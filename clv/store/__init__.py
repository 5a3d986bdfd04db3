"""The order store: tables, engine, migrations and queries."""

from clv.store.engine import make_engine, read_snapshot, session_scope
from clv.store.schema import (
    SchemaNotCurrentError,
    missing_indexes,
    repair_indexes,
    require_current_schema,
    upgrade,
)
from clv.store.tables import Customer, Order

__all__ = [
    "Customer",
    "Order",
    "SchemaNotCurrentError",
    "make_engine",
    "missing_indexes",
    "read_snapshot",
    "repair_indexes",
    "require_current_schema",
    "session_scope",
    "upgrade",
]
