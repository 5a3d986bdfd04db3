"""Lists to take elsewhere: a whole list (dormant, overdue, a segment, tier or stage) as a CSV
(`clv.exports.csv`) or as a signed JSON document for a CRM (`clv.exports.webhook`), read in
batches (`clv.exports.lists`). No Slack here: `bot/` uploads the CSV, the CLI writes it."""

from clv.exports.lists import (
    BATCH,
    ContactStatus,
    ExportRow,
    ExportSink,
    ExportSummary,
    ListChoice,
    UnknownListError,
    export_filename,
    export_list,
    parse_list,
)

__all__ = [
    "BATCH",
    "ContactStatus",
    "ExportRow",
    "ExportSink",
    "ExportSummary",
    "ListChoice",
    "UnknownListError",
    "export_filename",
    "export_list",
    "parse_list",
]
