"""Opening a CSV file for import: encoding, delimiter, header and column mapping."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Any

from clv.csvsafe import restore, restore_rows
from clv.errors import UserFacingError

_SNIFF_BYTES = 64 * 1024
_DELIMITERS = ",;\t|"
DEFAULT_ENCODING = "utf-8"  # read as utf-8-sig: a byte-order mark is dropped if there is one
ENCODING_HINT = "save it as UTF-8, or name its encoding with --encoding (e.g. cp1252, latin-1)"


def text_encoding(name: str) -> str:
    """The codec a file is read with: `utf-8` (and its aliases) drops a byte-order mark."""
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise ImportFileError(f"--encoding: unknown encoding {name!r}") from None
    return "utf-8-sig" if codec in ("utf-8", "utf-8-sig") else codec


def undecodable(path: Path, encoding: str) -> tuple[int, int, int] | None:
    """(line, byte offset in the file, the byte) of the first byte `encoding` cannot decode,
    found by reading the file again in binary (only when reading it as text has failed)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with path.open("rb") as raw:
        for line_number, line in enumerate(raw, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError as exc:
                return line_number, offset + exc.start, line[exc.start]
            offset += len(line)
    return None


def undecodable_error(
    path: Path, encoding: str, after_line: int, *, at_start: bool = False
) -> ImportFileError:
    """The error for a file that stops being `encoding` text; `at_start`: in its first 64 kB,
    where it is most likely no text at all (an image, a spreadsheet)."""
    found = undecodable(path, encoding)
    name = "UTF-8" if encoding == "utf-8-sig" else encoding
    if found is None:
        return ImportFileError(f"{path}: not {name} text after line {after_line}; {ENCODING_HINT}")
    line, offset, byte = found
    what = "not a CSV text file: " if at_start else ""
    return ImportFileError(
        f"{path}:{line}: {what}byte {offset} (0x{byte:02x}, counting from 0) is not {name}; "
        + ENCODING_HINT
    )


class ImportFileError(UserFacingError, ValueError):
    """The file as a whole cannot be imported (not CSV, empty, a required column missing)."""


def parse_column_map(spec: str | None, known: Sequence[str]) -> dict[str, str]:
    """`'order_id=OrderNo,amount=Total'` -> {"order_id": "OrderNo", "amount": "Total"}."""
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in (spec or "").split(","))):
        target, eq, source = (s.strip() for s in part.partition("="))
        if not eq or not target or not source:
            raise ImportFileError(f"--map: expected column=Header pairs, got {part!r}")
        if target not in known:
            raise ImportFileError(f"--map: unknown column {target!r} (known: {', '.join(known)})")
        mapping[target] = source
    return mapping


@dataclass
class CsvSource:
    """An open CSV file: `batches()` yields its records after the header."""

    path: Path
    header: list[str]
    columns: dict[str, int]  # our column name -> index in the file's rows
    _file: IO[str]
    _reader: Any  # a csv reader over _file
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    # an export format's reshaper: its batches become orders in the generic layout
    reshape: Callable[[Iterator[list[tuple[int, list[str]]]]], Iterator[Any]] | None = None
    layout_width: int | None = None  # fields per reshaped row

    @property
    def width(self) -> int:
        """Fields per record as the import reads them."""
        return self.layout_width if self.layout_width is not None else len(self.header)

    @property
    def size(self) -> int:
        """The file's size in bytes (for progress and the expected number of rows)."""
        return self.path.stat().st_size

    @property
    def bytes_read(self) -> int:
        """How far into the file reading has got (for progress bars)."""
        return int(self._file.buffer.tell())  # type: ignore[attr-defined]

    def batches(self, size: int) -> Iterator[list[tuple[int, list[str]]]]:
        """Lists of up to `size` (line number, fields) of the non-blank records (reshaped, for
        an export format).

        A record's line is the one it starts on. A file that stops being readable raises
        ImportFileError naming the line.
        """
        if self.reshape is not None:
            return self.reshape(self._records(size))
        return self._records(size)

    def _records(self, size: int) -> Iterator[list[tuple[int, list[str]]]]:
        reader = self._reader
        try:
            before = reader.line_num
            while batch := [(reader.line_num, fields) for fields in islice(reader, size)]:
                # line_num is where a record ends: differs from its start only if a quoted
                # field holds a line break
                if batch[-1][0] - before != len(batch):
                    batch = _first_lines(batch, before)
                before = reader.line_num
                records = [item for item in batch if item[1]]
                restore_rows(records)  # cells clvbot quoted when it wrote them (a rejects file)
                yield records
        except csv.Error as exc:
            raise ImportFileError(
                f"{self.path}:{reader.line_num}: not readable as CSV ({exc})"
            ) from None
        except UnicodeDecodeError:
            raise undecodable_error(self.path, self.encoding, reader.line_num) from None

    def close(self) -> None:
        self._file.close()

    def release(self) -> None:
        """Let go of what another process must not share (a reader process reopens)."""

    def reopen(self) -> CsvSource:
        """The same source opened again past its header (for a reader in another process)."""
        file = self.path.open(encoding=self.encoding, newline="")
        reader = csv.reader(file, delimiter=self.delimiter)
        next(reader, [])
        return CsvSource(
            self.path,
            self.header,
            self.columns,
            file,
            reader,
            self.delimiter,
            self.encoding,
            self.reshape,
            self.layout_width,
        )


def open_csv(
    path: Path,
    *,
    required: Sequence[str],
    optional: Sequence[str],
    mapping: Mapping[str, str],
    encoding: str = DEFAULT_ENCODING,
) -> CsvSource:
    """Open `path`, check it is a CSV with the required columns, and map its header."""
    source = open_csv_header(path, encoding)
    try:
        source.columns = map_header(path, source.header, required, optional, mapping)
    except ImportFileError:
        source.close()
        raise
    return source


def open_csv_header(path: Path, encoding: str = DEFAULT_ENCODING) -> CsvSource:
    """Open `path` and read its header line (its columns are the caller's to map)."""
    encoding = text_encoding(encoding)
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    with path.open("rb") as raw:
        head = raw.read(_SNIFF_BYTES)
    if not head.strip():
        raise ImportFileError(f"{path}: the file is empty")
    if b"\0" in head.split(b"\n", 1)[0]:  # xlsx, UTF-16, images: binary from the start
        raise ImportFileError(f"{path}: not a CSV file (it contains binary data)")
    try:
        sample = head.decode(encoding)
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at the sample's end
            raise undecodable_error(path, encoding, 0, at_start=True) from None
        sample = head[: exc.start].decode(encoding)
    delimiter = _sniff_delimiter(sample)
    file = path.open(encoding=encoding, newline="")
    reader = csv.reader(file, delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error, UnicodeDecodeError) as exc:
        file.close()
        raise ImportFileError(f"{path}: not a readable CSV file ({exc})") from None
    header = [restore(h).strip() for h in header]
    return CsvSource(path, header, {}, file, reader, delimiter, encoding)


def _first_lines(batch: list[tuple[int, list[str]]], before: int) -> list[tuple[int, list[str]]]:
    """(line the record ends on, fields) -> (line it starts on, fields); `before`: lines read
    before the batch."""
    starts: list[tuple[int, list[str]]] = []
    for end, fields in batch:
        starts.append((before + 1, fields))
        before = end
    return starts


def _sniff_delimiter(sample: str) -> str:
    first_line = sample.splitlines()[0] if sample else ""
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def map_header(
    path: Path,
    header: list[str],
    required: Sequence[str],
    optional: Sequence[str],
    mapping: Mapping[str, str],
) -> dict[str, int]:
    positions: dict[str, list[int]] = {}
    for i, name in enumerate(header):
        positions.setdefault(name.lower(), []).append(i)
    columns: dict[str, int] = {}
    missing: list[str] = []
    for name in (*required, *optional):
        source = mapping.get(name, name)
        at = positions.get(source.lower())
        if at and len(at) > 1:
            # only the columns the import reads: repeats of others (two `Notes`) are harmless
            first, second = at[:2]
            raise ImportFileError(
                f"{path}: columns {first + 1} {header[first]!r} and {second + 1} "
                f"{header[second]!r} have the same name: rename or remove one"
            )
        if at:
            columns[name] = at[0]
        elif name in required or name in mapping:
            missing.append(f"{name}" if source == name else f"{name} (mapped to {source!r})")
    if missing:
        found = ", ".join(header) if any(header) else "nothing"
        raise ImportFileError(
            f"{path}: missing required column(s) {', '.join(missing)} in the header line "
            f"(found: {found}); rename with --map {missing[0].split()[0]}=YourHeader"
        )
    return columns
