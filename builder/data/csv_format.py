"""What a CSV file looks like, read from its first 64 KiB: delimiter, header, columns, target kind.

The loader then streams the whole file with these settings; deciding them from a sample keeps
a file of hundreds of MB from being read twice.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError

SAMPLE_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t")
MISSING_CELLS = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
_HEADER_EVIDENCE_ROWS = 200


def is_missing(cell: str) -> bool:
    """Whether a cell is one of the usual spellings of a missing value (empty, NA, NaN, ?...)."""
    return cell.strip().lower() in MISSING_CELLS


def is_number(cell: str) -> bool:
    """Whether a cell parses as a number (missing spellings such as 'nan' included)."""
    try:
        float(cell)
    except ValueError:
        return False
    return True


def is_text(cell: str) -> bool:
    """A cell that is neither a number nor missing: a name or a string label."""
    return not is_missing(cell) and not is_number(cell)


def is_blank_row(row: list[str]) -> bool:
    """An empty line (csv gives [] or one whitespace field), skipped wherever it appears."""
    return not row or (len(row) == 1 and not row[0].strip())


@dataclass(frozen=True)
class CsvLayout:
    """The settings the loader streams a CSV file with."""

    delimiter: str
    header: tuple[str, ...] | None
    columns: int
    sample_rows: tuple[tuple[str, ...], ...]
    estimated_rows: int

    def column_name(self, index: int) -> str:
        """The header's name of a column, or column_<n> (1-based) without a header."""
        if self.header is not None and self.header[index].strip():
            return self.header[index].strip()
        return f"column_{index + 1}"


def inspect_csv(path: Path, header: bool | None = None) -> CsvLayout:
    """Read the start of a CSV file and decide how to parse it, refusing what cannot be data.

    header=None detects it: the first row is a header when it has a text cell in a column whose
    later cells are numbers (or when it is the only row and is all text).
    """
    with open(path, "rb") as stream:
        raw = stream.read(SAMPLE_BYTES)
        whole = len(stream.read(1)) == 0
    text = _decode_sample(path, raw, whole)
    if not text.strip():
        raise DataError(f"{path}: the file is empty")
    if not whole and "\n" in text:
        text = text[:text.rfind("\n") + 1]
    delimiter, rows = _sniff_delimiter(path, text)
    if header is None:
        header = _looks_like_header(rows)
    names = tuple(rows[0]) if header else None
    data_rows = rows[1:] if header else rows
    if not data_rows and whole:
        if header:
            raise DataError(f"{path}: has a header but no data rows")
        raise DataError(f"{path}: the file is empty")
    size = path.stat().st_size
    if whole:
        estimated = len(data_rows)
    else:
        estimated = int(size / max(len(text.encode("utf-8")), 1) * len(rows) * 1.1) + 16
    return CsvLayout(delimiter, names, len(rows[0]), tuple(map(tuple, data_rows)), estimated)


def _decode_sample(path: Path, raw: bytes, whole: bool) -> str:
    """The sample as text; NUL bytes or bytes that are not UTF-8 mean it is not a CSV file."""
    if b"\x00" in raw:
        line = raw[:raw.index(b"\x00")].count(b"\n") + 1
        raise DataError(f"{path}, line {line}: binary data (NUL bytes), not a CSV text file")
    try:
        return codecs.getincrementaldecoder("utf-8-sig")().decode(raw, final=whole)
    except UnicodeDecodeError as error:
        raise undecodable(path, raw[:error.start].count(b"\n") + 1, error) from None


def undecodable(path: Path, line: int, error: UnicodeDecodeError) -> DataError:
    """The refusal of bytes that are not UTF-8, naming the line and the first bad byte."""
    byte = error.object[error.start]
    return DataError(f"{path}, line {line}: not UTF-8 text (byte 0x{byte:02x}); the file is "
                     "binary or in another encoding: save it as UTF-8")


def _sniff_delimiter(path: Path, text: str) -> tuple[str, list[list[str]]]:
    """The delimiter among comma, semicolon and tab whose rows agree best on a field count > 1.

    Ties go to the one with more fields, then to the order comma, semicolon, tab; a file with a
    single column reads with a comma.
    """
    best = None
    for rank, delimiter in enumerate(DELIMITERS):
        rows = _sample_rows(path, text, delimiter)
        count, agreeing = Counter(map(len, rows)).most_common(1)[0]
        if count > 1:
            score = (agreeing / len(rows), count, -rank)
            if best is None or score > best[0]:
                best = (score, delimiter, rows)
    if best is None:
        return ",", _sample_rows(path, text, ",")
    return best[1], best[2]


def _sample_rows(path: Path, text: str, delimiter: str) -> list[list[str]]:
    """The non-blank rows of the sample read with one delimiter."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = [row for row in reader if not is_blank_row(row)]
    except csv.Error as error:
        raise DataError(f"{path}, line {reader.line_num}: {error}") from None
    return rows


def _looks_like_header(rows: list[list[str]]) -> bool:
    """A first row with a text cell where the later rows hold numbers; a lone all-text row."""
    first, later = rows[0], rows[1:_HEADER_EVIDENCE_ROWS]
    text_columns = [j for j, cell in enumerate(first) if is_text(cell)]
    if not text_columns:
        return False
    if not later:
        return all(is_text(cell) or is_missing(cell) for cell in first)
    for j in text_columns:
        cells = [row[j] for row in later if j < len(row) and not is_missing(row[j])]
        if cells and all(is_number(cell) for cell in cells):
            return True
    return False


def resolve_target(path: Path, layout: CsvLayout, target: int | str | None) -> int | None:
    """The target's column index from a name, an index (negative counts from the end) or None.

    A string that names no header column but reads as an integer is an index, so the command
    line's --target 4 works on files without a header.
    """
    if target is None:
        return None
    columns = layout.columns
    if isinstance(target, str):
        names = [layout.column_name(j) for j in range(columns)]
        if names.count(target.strip()) > 1:
            raise DataError(f"{path}: target column {target!r} is ambiguous: "
                            "several columns have that name")
        if target.strip() in names:
            index = names.index(target.strip())
        elif target.strip().lstrip("-").isdigit():
            index = int(target)
        else:
            shown = ", ".join(names[:12]) + (", ..." if columns > 12 else "")
            raise DataError(f"{path}: unknown target column {target!r}; the columns are {shown}")
    elif isinstance(target, int) and not isinstance(target, bool):
        index = target
    else:
        raise DataError(f"{path}: target must be a column name, an index or None, "
                        f"got {target!r}")
    if not -columns <= index < columns:
        raise DataError(f"{path}: unknown target column {target!r}: the file has {columns} "
                        f"column{'s' if columns != 1 else ''}")
    if columns == 1:
        raise DataError(f"{path}: the only column is the target: no feature columns are left")
    return index % columns


def target_has_labels(layout: CsvLayout, target: int) -> bool:
    """Whether the target column holds string labels (some cell in the sample is text)."""
    return any(target < len(row) and is_text(row[target]) for row in layout.sample_rows)
