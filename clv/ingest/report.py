"""What an import did: counts, and the rejected rows written to a CSV next to the input."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from clv import csvsafe
from clv.errors import UserFacingError


@dataclass(frozen=True)
class Reject:
    """One input row that was not imported, and why."""

    line: int
    column: str
    reason: str
    fields: list[str]

    def describe(self, path: Path) -> str:
        return f"{path.name}:{self.line}: {self.column}: {self.reason}"


class StrictImportError(UserFacingError, ValueError):
    """`--strict` stopped at the first bad row; nothing was written."""

    def __init__(self, path: Path, reject: Reject) -> None:
        super().__init__(f"{reject.describe(path)} (--strict: nothing was imported)")
        self.reject = reject


@dataclass
class ImportReport:
    """Counts of one import. Every row read is imported, updated, unchanged or rejected; for an
    export format, `read` counts the input lines and the others its orders (a Shopify order
    spans its line items), and `skipped` what the lines held that is not a purchase."""

    path: Path
    read: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    conflicts: int = 0
    seconds: float = 0.0
    rejects_path: Path | None = None
    first_rejects: list[Reject] = field(default_factory=list)
    format: str | None = None  # the export format read, e.g. "shopify"
    format_note: str | None = None  # how it was chosen, e.g. "recognised from the header"
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> lines or orders

    def count_read(self, records: list[Any]) -> None:
        """Count a batch as read: its input lines, and what a reshaper skipped in them."""
        self.read += getattr(records, "lines_read", len(records))
        skipped = getattr(records, "skipped", None)
        if skipped:
            self.skipped.update(skipped)

    def summary(self) -> str:
        exported = self.format not in (None, "generic")  # an export: lines are not orders
        label = f"{self.path.name} ({self.format})" if exported else self.path.name
        lines = " lines" if exported else ""
        text = (
            f"{label}: read {self.read:,}{lines} · imported {self.imported:,} · "
            f"updated {self.updated:,} · unchanged {self.unchanged:,} · "
            f"rejected {self.rejected:,}"
        )
        if self.conflicts:
            text += f" ({self.conflicts:,} conflict{'s' if self.conflicts != 1 else ''})"
        text += f" · {self.seconds:.2f} s"
        if self.skipped:
            text += "\nskipped: " + ", ".join(
                f"{count:,} {reason}" for reason, count in sorted(self.skipped.items())
            )
        if self.format_note and exported:  # a file in the generic layout needs no word on it
            text = f"format: {self.format} ({self.format_note})\n" + text
        if self.rejects_path is not None:
            text += f"\nrejected rows written to {self.rejects_path}"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "file": str(self.path),
            "read": self.read,
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "conflicts": self.conflicts,
            "seconds": round(self.seconds, 3),
            "rejects_file": str(self.rejects_path) if self.rejects_path else None,
            "format": self.format,
            "skipped": dict(sorted(self.skipped.items())),
        }


class RejectsWriter:
    """Writes rejected rows with their original fields, line number and reason.

    The file keeps the input's header, so it can be fixed and imported again; it is created
    only when there is a first reject. Cells that would start a spreadsheet formula are
    quoted (see `clv.csvsafe`), and an import reads them back unquoted.
    """

    KEEP = 20  # rejects kept in memory for the report

    def __init__(self, path: Path, header: list[str], report: ImportReport) -> None:
        self.path = path
        self.header = header
        self.report = report
        self._file: IO[str] | None = None
        self._writer: csvsafe.SafeWriter | None = None

    def add(self, reject: Reject) -> None:
        self.report.rejected += 1
        if len(self.report.first_rejects) < self.KEEP:
            self.report.first_rejects.append(reject)
        if self._writer is None:
            self._file = self.path.open("w", encoding="utf-8", newline="")
            self._writer = csvsafe.writer(self._file)
            self._writer.writerow([*self.header, "reject_line", "reject_column", "reject_reason"])
            self.report.rejects_path = self.path
        fields = (reject.fields + [""] * len(self.header))[: len(self.header)]
        self._writer.writerow([*fields, reject.line, reject.column, reject.reason])

    def discard(self) -> None:
        """Close and delete the file: the import it belonged to was rolled back."""
        self.close()
        if self._file is not None:
            self.path.unlink(missing_ok=True)
            self.report.rejects_path = None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
