"""Load a CSV file into a Dataset, streaming it row by row into one growing float32 array.

The file is read once through the csv module; features go straight into a preallocated
float32 array (sized from the sample, grown in place when the estimate was short), so a file of
hundreds of MB never exists as Python rows or as several full copies. Every refusal names the
file, the line, the column and the value.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Mapping

import numpy as np

from ..errors import DataError
from .csv_format import (CsvLayout, inspect_csv, is_blank_row, is_missing, resolve_target,
                         target_has_labels, undecodable)
from .dataset import Dataset, Standardization
from .files import existing_file

CHUNK_ROWS = 1024  # rows between progress reports; 65,536 kept the GIL from the GUI for 200-400 ms
FLOAT32_MAX = float(np.finfo(np.float32).max)
_DROP_HINT = "; pass drop_invalid=True to drop such rows"


def load_csv(path: str | os.PathLike, target: int | str | None = -1, *,
             header: bool | None = None,
             class_labels: Mapping[str, int] | None = None,
             standardize: bool | Standardization = False,
             drop_invalid: bool = False,
             progress: Callable[[float], None] | None = None,
             chunk_rows: int = CHUNK_ROWS) -> Dataset:
    """Read a CSV file of numeric features and one target column into a Dataset.

    Args:
        target: the target column's name or index (default: the last); None for no target.
        header: True/False, or None to detect it.
        class_labels: the training set's label mapping, so a validation or test file gets the
            same indices (an unknown label is refused).
        standardize: True to fit and apply a standardization, or a fitted Standardization (the
            training set's) to apply.
        drop_invalid: drop rows with missing, NaN or infinite values (their count is
            Dataset.dropped_rows) instead of refusing the file.
        progress: called with the fraction of the file read, after each chunk and at the end.
        chunk_rows: rows converted between two progress calls.
    """
    path = existing_file(path)
    layout = inspect_csv(path, header)
    target_index = resolve_target(path, layout, target)
    labelled = target_index is not None and (
        class_labels is not None or target_has_labels(layout, target_index))
    parser = _CsvParser(path, layout, target_index, labelled, class_labels, drop_invalid)
    parser.read(progress, max(1, int(chunk_rows)))
    dataset = parser.dataset()
    if isinstance(standardize, Standardization):
        dataset.standardize(standardize)
    elif standardize:
        dataset.standardize()
    return dataset


class _CsvParser:
    """One pass over a CSV file, filling growing x and y arrays."""

    def __init__(self, path, layout: CsvLayout, target: int | None, labelled: bool,
                 class_labels: Mapping[str, int] | None, drop_invalid: bool):
        self.path = path
        self.layout = layout
        self.target = target
        self.labelled = labelled
        self.fixed_labels = class_labels is not None
        self.label_ids: dict[str, int] = dict(class_labels or {})
        self.drop_invalid = drop_invalid
        self.feature_columns = [j for j in range(layout.columns) if j != target]
        capacity = max(layout.estimated_rows, 1)
        self.x = np.empty((capacity, len(self.feature_columns)), dtype=np.float32)
        self.y = None if target is None else np.empty(
            capacity, dtype=np.int64 if labelled else np.float64)
        self.rows = 0
        self.dropped = 0
        self.data_lines = 0

    def read(self, progress, chunk_rows: int) -> None:
        """Stream the file, converting rows chunk by chunk and reporting progress."""
        size = max(self.path.stat().st_size, 1)
        with open(self.path, "rb") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            reader = csv.reader(text, delimiter=self.layout.delimiter)
            try:
                with np.errstate(over="ignore", invalid="ignore"):
                    self._read_rows(reader, raw, size, progress, chunk_rows)
            except UnicodeDecodeError as error:
                offset = raw.tell() - len(error.object) + error.start
                raise undecodable(self.path, _line_at(self.path, offset), error) from None
            except csv.Error as error:
                raise DataError(f"{self.path}, line {reader.line_num}: {error}") from None
        if progress is not None:
            progress(1.0)

    def _read_rows(self, reader, raw, size: int, progress, chunk_rows: int) -> None:
        columns = self.layout.columns
        skip_header = self.layout.header is not None
        target = self.target
        chunk_start = 0
        chunk_lines: list[int] = []
        for row in reader:
            if is_blank_row(row):
                continue
            if skip_header:
                skip_header = False
                continue
            line = reader.line_num
            self.data_lines += 1
            if len(row) != columns:
                self._refuse_ragged(row, line)
            if self.rows == len(self.x):
                self._grow()
            features = row if target is None else row[:target] + row[target + 1:]
            try:
                self.x[self.rows] = features
            except ValueError:
                self._check_cells(row, line)
                continue
            if target is not None and not self._store_target(row[target], line):
                continue
            chunk_lines.append(line)
            self.rows += 1
            if self.rows - chunk_start >= chunk_rows:
                self._check_finite(chunk_start, chunk_lines)
                chunk_start, chunk_lines = self.rows, []
                if progress is not None:
                    progress(min(raw.tell() / size, 1.0))
        self._check_finite(chunk_start, chunk_lines)

    def _grow(self) -> None:
        """Enlarge x and y in place (realloc), half as much again, with no second copy kept."""
        capacity = max(len(self.x) * 3 // 2, len(self.x) + 1024)
        self.x.resize((capacity, self.x.shape[1]), refcheck=False)
        if self.y is not None:
            self.y.resize(capacity, refcheck=False)

    def _where(self, line: int, column: int) -> str:
        return (f"{self.path}, line {line}, column {column + 1} "
                f"({self.layout.column_name(column)!r})")

    def _refuse_ragged(self, row: list[str], line: int) -> None:
        reference = "the header has" if self.layout.header is not None else "the first row has"
        raise DataError(f"{self.path}, line {line}: {len(row)} field"
                        f"{'s' if len(row) != 1 else ''} where {reference} "
                        f"{self.layout.columns} (ragged rows)")

    def _invalid(self, message: str) -> bool:
        """Drop the row (returns False) when asked to, else refuse the file with message."""
        if not self.drop_invalid:
            raise DataError(message + _DROP_HINT)
        self.dropped += 1
        return False

    def _store_target(self, cell: str, line: int) -> bool:
        """Convert the target cell into y; False when the row is dropped."""
        if self.labelled:
            index = self.label_ids.get(cell.strip())
            if index is None:
                index = self._new_label(cell, line)
                if index is None:
                    return False
            self.y[self.rows] = index
            return True
        try:
            value = float(cell)
        except ValueError:
            if is_missing(cell):
                return self._invalid(f"{self._where(line, self.target)}: missing value {cell!r}")
            raise DataError(f"{self._where(line, self.target)}: value {cell!r} is not a number "
                            "(the target column's first rows are numbers)") from None
        if not abs(value) <= FLOAT32_MAX:  # NaN too: targets become float32
            return self._invalid(f"{self._where(line, self.target)}: value {cell!r} is NaN or "
                                 "infinite (or too large for float32)")
        self.y[self.rows] = value
        return True

    def _new_label(self, cell: str, line: int) -> int | None:
        """The index of a label seen for the first time; None when its row is dropped."""
        where = self._where(line, self.target)
        if is_missing(cell):
            self._invalid(f"{where}: missing label {cell!r}")
            return None
        label = cell.strip()
        if self.fixed_labels:
            known = ", ".join(sorted(self.label_ids)[:12])
            raise DataError(f"{where}: label {label!r} is not one of the training labels "
                            f"({known})")
        index = self.label_ids[label] = len(self.label_ids)
        return index

    def _check_cells(self, row: list[str], line: int) -> None:
        """Find the feature cell that failed to convert: drop a missing one, refuse the rest."""
        for column in self.feature_columns:
            cell = row[column]
            try:
                float(cell)
            except ValueError:
                where = self._where(line, column)
                if "\x00" in cell:
                    raise DataError(f"{where}: binary data (NUL bytes), not a CSV text file")
                if is_missing(cell):
                    self._invalid(f"{where}: missing value {cell!r}")
                    return
                raise DataError(f"{where}: value {cell!r} is not a number") from None
        raise DataError(f"{self._where(line, self.feature_columns[0])}: unreadable row {row!r}")

    def _check_finite(self, start: int, lines: list[int]) -> None:
        """Refuse (or drop) the rows since start that hold NaN or infinite features."""
        block = self.x[start:self.rows]
        finite = np.isfinite(block).all(axis=1)
        if finite.all():
            return
        if not self.drop_invalid:
            row = int(np.argmin(finite))
            position = int(np.argmin(np.isfinite(block[row])))
            where = self._where(lines[row], self.feature_columns[position])
            raise DataError(f"{where}: value {block[row, position]} is NaN or infinite (or too "
                            "large for float32)" + _DROP_HINT)
        kept = int(finite.sum())
        block[:kept] = block[finite]
        if self.y is not None:
            targets = self.y[start:self.rows]
            targets[:kept] = targets[finite]
        self.dropped += len(finite) - kept
        self.rows = start + kept

    def dataset(self) -> Dataset:
        """The Dataset of the rows read, with the arrays trimmed in place to their length."""
        if self.rows == 0:
            if self.data_lines:
                raise DataError(f"{self.path}: no usable rows: all {self.data_lines} data rows "
                                "have missing, NaN or infinite values")
            if self.layout.header is not None:
                raise DataError(f"{self.path}: has a header but no data rows")
            raise DataError(f"{self.path}: the file is empty")
        self.x.resize((self.rows, self.x.shape[1]), refcheck=False)
        names = tuple(self.layout.column_name(j) for j in self.feature_columns)
        dataset = Dataset(self.x, None, names, source=self.path, dropped_rows=self.dropped)
        if self.target is not None:
            dataset.target_name = self.layout.column_name(self.target)
            self.y.resize(self.rows, refcheck=False)
            dataset.y, dataset.class_labels = self._final_targets()
        return dataset

    def _final_targets(self) -> tuple[np.ndarray, dict[str, int] | None]:
        """Labels as sorted-label indices (or the given mapping's); whole numbers as int64."""
        if self.labelled:
            if self.fixed_labels:
                return self.y, dict(self.label_ids)
            ordered = sorted(self.label_ids)
            remap = np.empty(len(ordered), dtype=np.int64)
            for index, label in enumerate(ordered):
                remap[self.label_ids[label]] = index
            return remap[self.y], {label: index for index, label in enumerate(ordered)}
        if np.all(self.y == np.round(self.y)) and np.all(np.abs(self.y) < 2**53):
            return self.y.astype(np.int64), None
        return self.y.astype(np.float32), None


def _line_at(path, offset: int) -> int:
    """The 1-based line holding a byte offset, for errors found in a decoded chunk."""
    newlines = 0
    with open(path, "rb") as stream:
        while offset > 0:
            block = stream.read(min(offset, 1 << 20))
            if not block:
                break
            newlines += block.count(b"\n")
            offset -= len(block)
    return newlines + 1
