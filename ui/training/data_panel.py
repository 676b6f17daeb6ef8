"""The data panel: which file the project trains on (CSV, NPY, NPZ or a bundled set), a preview
of its first rows, its shapes and class counts, the target column, standardization, the
validation split, and checks against the model with one-click fixes.

Files are read on a background thread through builder's loaders; a big one shows a progress
bar and a Cancel button (the loader stops at its next progress report). Every settings change
is an undoable SetSetting (a new file or target also forgets the fitted standardization).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLabel, QProgressBar, QPushButton, QScrollArea, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from builder.data import load_csv, load_data

from ..widgets import styled_label
from .background import CANCELLED, BackgroundJob
from .commands import SetSetting
from .data_checks import check, suggest_loss

PREVIEW_ROWS = 8
PREVIEW_COLUMNS = 10
DATA_FILTER = "Data files (*.csv *.npy *.npz);;All files (*)"
BIG_FILE_BYTES = 1 << 20  # from this size on, reading shows a progress bar and Cancel
CSV_CHUNK_ROWS = 1024  # CSV rows between two progress reports (larger chunks stalled the GUI longer)


def read_data(path: Path, labels: Path | None, target, progress):
    """The file as a Dataset, reporting progress; CSV files report every CSV_CHUNK_ROWS rows
    (the loader's default chunk is for the command line, too coarse for a bar)."""
    if path.suffix.lower() not in (".npy", ".npz") and labels is None:
        return load_csv(path, target, progress=progress, chunk_rows=CSV_CHUNK_ROWS)
    return load_data(path, labels, target=target, progress=progress)


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # the loader says what is wrong with it
        return 0


def ask_data_path(parent: QWidget) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open training data", "", DATA_FILTER)
    return path or None


class DataPanel(QScrollArea):
    """`datasetLoaded(dataset)` after each preview load; `lossSuggested(loss, reason)`."""

    datasetLoaded = Signal(object)
    lossSuggested = Signal(object, str)

    def __init__(self, document, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dataPanel")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the preview scrolls itself
        self.document = document
        self.dataset = None
        self.loader: BackgroundJob | None = None
        self._reading = None  # the source (key and files' stamps) of the latest read started
        self._dataset_source = None  # the same for self.dataset
        self._showing = False
        body = QWidget(self)
        self.path_label = QLabel(body)
        self.path_label.setObjectName("dataPath")
        self.path_label.setWordWrap(True)
        self.open_button = QPushButton("Open…", body)
        self.open_button.setObjectName("openDataButton")
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_label, 1)
        path_row.addWidget(self.open_button)
        self.info = styled_label("", "hint", body, wrap=True)
        self.info.setObjectName("dataShapes")
        self.error = styled_label("", "fieldError", body, wrap=True)
        self.error.setObjectName("dataError")
        self.error.hide()
        self.load_bar = QProgressBar(body)
        self.load_bar.setObjectName("dataLoadProgress")
        self.load_bar.setRange(0, 1000)
        self.load_bar.setFormat("reading %p%")
        self.cancel_button = QPushButton("Cancel", body)
        self.cancel_button.setObjectName("cancelLoadButton")
        self.cancel_button.setToolTip("Stop reading this file")
        load_row = QHBoxLayout()
        load_row.addWidget(self.load_bar, 1)
        load_row.addWidget(self.cancel_button)
        self._show_loading(False)
        self.preview = QTableWidget(0, 0, body)
        self.preview.setObjectName("dataPreview")
        self.preview.setMinimumSize(120, 150)
        self.preview.setMaximumHeight(240)
        self.target_box = QComboBox(body)
        self.target_box.setObjectName("targetBox")
        self.standardize_check = QCheckBox("Standardize features", body)
        self.standardize_check.setObjectName("standardizeCheck")
        self.standardize_check.setToolTip("Scale each feature to mean 0 and std 1, fitted on the training part")
        self.split_spin = QDoubleSpinBox(body)
        self.split_spin.setObjectName("validationSplit")
        self.split_spin.setRange(0.0, 0.9)
        self.split_spin.setSingleStep(0.05)
        self.split_spin.setKeyboardTracking(False)
        self.validation_label = QLabel(body)
        self.validation_label.setObjectName("validationPath")
        self.validation_label.setMinimumWidth(40)
        self.validation_button = QPushButton("Validation file…", body)
        self.validation_button.setObjectName("validationFileButton")
        self.split_button = QPushButton("Split instead", body)
        self.split_button.setObjectName("useSplitButton")
        validation_row = QHBoxLayout()
        validation_row.addWidget(self.validation_label, 1)
        validation_row.addWidget(self.validation_button)
        validation_row.addWidget(self.split_button)
        form = QFormLayout()
        form.addRow("Target", self.target_box)
        form.addRow("Validation split", self.split_spin)
        form.addRow("Validation", validation_row)
        form.addRow("", self.standardize_check)
        self.checks = QVBoxLayout()
        self.checks_box = QWidget(body)
        self.checks_box.setObjectName("dataChecks")
        self.checks_box.setLayout(self.checks)
        layout = QVBoxLayout(body)
        layout.addLayout(path_row)
        layout.addWidget(self.info)
        layout.addLayout(load_row)
        layout.addWidget(self.error)
        layout.addWidget(self.preview)
        layout.addLayout(form)
        layout.addWidget(self.checks_box)
        layout.addStretch(1)
        self.setWidget(body)

        self.open_button.clicked.connect(self.choose_file)
        self.cancel_button.clicked.connect(self.cancel_load)
        self.target_box.activated.connect(lambda: self._set_source("target", self.target_box.currentText()))
        self.standardize_check.toggled.connect(self._standardize_toggled)
        self.validation_button.clicked.connect(self.choose_validation_file)
        self.split_button.clicked.connect(lambda: self._set("validation_path", None, mergeable=False))
        self.split_spin.valueChanged.connect(lambda v: self._set("validation_split", round(v, 4)))
        document.undo_stack.indexChanged.connect(self.refresh)
        document.projectReplaced.connect(self.refresh)
        document.stackChanged.connect(self.show_checks)
        self.refresh()

    @property
    def settings(self):
        return self.document.project.data

    # -- loading -------------------------------------------------------------------------------
    def _source_key(self):
        s = self.settings
        return (s.path, s.labels_path, s.target, str(self.document.project.base_dir))

    def _source(self):
        """The source key with the size and modification time of each file it names."""
        project, s = self.document.project, self.settings
        stamps = []
        for name in (s.path, s.labels_path):
            try:
                stat = project.resolve(name).stat() if name is not None else None
            except OSError:
                stat = None
            stamps.append(None if stat is None else (stat.st_size, stat.st_mtime_ns))
        return self._source_key(), tuple(stamps)

    def dataset_for_run(self):
        """The training file as read for the preview, while the settings still name it and
        its files are unchanged (else None): a run then starts without reading it again."""
        if self.dataset is None or self.loader is not None or self._source() != self._dataset_source:
            return None
        return self.dataset

    def refresh(self, *_) -> None:
        self._showing = True
        try:
            s = self.settings
            self.path_label.setText(s.path or "No training data yet: open a CSV, NPY or NPZ file.")
            self.standardize_check.setChecked(s.standardize)
            self.split_spin.setValue(s.validation_split)
            separate = s.validation_path is not None
            self.split_spin.setEnabled(not separate)
            self.split_button.setVisible(separate)
            self.validation_label.setText(Path(s.validation_path).name if separate else
                                          f"random {s.validation_split:.0%}")
            self.validation_label.setToolTip(s.validation_path if separate else
                                             "drawn from the training file with the compile settings' seed")
        finally:
            self._showing = False
        if self._reading is None or self._source_key() != self._reading[0]:
            self.load()

    def load(self) -> None:
        """Read the project's data file for the preview, on a background thread."""
        s = self.settings
        if self.loader is not None:  # it reloads when done if the settings changed meanwhile
            return
        self._reading = self._source()  # stamped before reading: a change while it reads shows
        if s.path is None:
            return
        project = self.document.project
        path = project.resolve(s.path)
        labels = None if s.labels_path is None else project.resolve(s.labels_path)
        target = -1 if s.target is None else s.target
        self.info.setText("reading the data…")
        self.loader = BackgroundJob(lambda progress: read_data(path, labels, target, progress), self)
        self.loader.progress.connect(self._load_progress)
        self.loader.finished.connect(self._loaded)
        self.load_bar.setValue(0)
        self._show_loading(_file_size(path) >= BIG_FILE_BYTES)
        self.loader.start()

    def cancel_load(self) -> None:
        if self.loader is not None:
            self.loader.cancel()
            self.cancel_button.setEnabled(False)
            self.info.setText("cancelling…")

    def join(self) -> None:
        if self.loader is not None:
            self.loader.join()

    def _show_loading(self, shown: bool) -> None:
        self.load_bar.setVisible(shown)
        self.cancel_button.setVisible(shown)
        self.cancel_button.setEnabled(shown)

    def _load_progress(self, fraction: float) -> None:
        self.load_bar.setValue(int(fraction * 1000))
        if self.cancel_button.isEnabled() or not self.cancel_button.isVisible():
            self.info.setText(f"reading the data… {fraction:.0%}")

    def _loaded(self, dataset, error: str) -> None:
        self.loader = None
        self._show_loading(False)
        if self._source_key() != self._reading[0]:  # the settings changed while it read
            self.load()
            return
        if error == CANCELLED:  # no preview of another file's rows under this file's name
            self.dataset = None
            self.preview.clear()
            self.preview.setRowCount(0)
            self.preview.setColumnCount(0)
            self.show_checks()
            self.info.setText("Reading cancelled: open the file again (or undo) to preview it.")
            return
        self.error.setVisible(bool(error))
        self.error.setText(error)
        if dataset is None:
            self.info.setText("")
            return
        self.dataset, self._dataset_source = dataset, self._reading
        self._show_dataset(dataset)
        self.show_checks()
        self.datasetLoaded.emit(dataset)
        self.lossSuggested.emit(*suggest_loss(dataset))

    def _show_dataset(self, dataset) -> None:
        n = len(dataset)
        shape = tuple(dataset.x.shape[1:])
        parts = [f"{n:,} samples of shape {shape}"]
        if dataset.y is not None:
            parts.append(f"target {dataset.target_name or 'y'}")
            if dataset.num_classes:
                counts = Counter(dataset.y.reshape(n, -1)[:, 0].tolist() if dataset.y.ndim > 1 else dataset.y.tolist())
                names = {i: label for label, i in (dataset.class_labels or {}).items()}
                listed = ", ".join(f"{names.get(k, k)}: {v}" for k, v in sorted(counts.items())[:12])
                parts.append(f"{dataset.num_classes} classes ({listed}{', …' if len(counts) > 12 else ''})")
        self.info.setText(" · ".join(parts))
        rows = dataset.x.reshape(n, -1)[:PREVIEW_ROWS]
        names = list(dataset.feature_names) or [f"x{i}" for i in range(rows.shape[1])]
        columns = names[:PREVIEW_COLUMNS] + ([dataset.target_name or "y"] if dataset.y is not None else [])
        self.preview.clear()
        self.preview.setRowCount(len(rows))
        self.preview.setColumnCount(len(columns))
        self.preview.setHorizontalHeaderLabels(columns)
        for r, row in enumerate(rows):
            values = [f"{v:.4g}" for v in row[:PREVIEW_COLUMNS]]
            if dataset.y is not None:
                values.append(str(dataset.y[r]))
            for c, text in enumerate(values):
                self.preview.setItem(r, c, QTableWidgetItem(text))
        self.preview.resizeColumnsToContents()
        self._showing = True
        self.target_box.clear()
        csv_columns = list(dataset.feature_names) + ([dataset.target_name] if dataset.target_name else [])
        self.target_box.addItems(csv_columns)
        self.target_box.setCurrentText(dataset.target_name or "")
        self.target_box.setEnabled(str(self.settings.path).lower().endswith(".csv") or
                                   str(self.settings.path).startswith("bundled:"))
        self._showing = False

    def show_checks(self) -> None:
        while self.checks.count():
            widget = self.checks.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        if self.dataset is None:
            return
        issues = check(self.dataset, self.document)
        if not issues:
            self.checks.addWidget(styled_label("The data fits the model.", "hint", self.checks_box))
        for issue in issues:
            self.checks.addWidget(styled_label(issue.message, "fieldError", self.checks_box, wrap=True))
            if issue.fix is not None:
                button = QPushButton(issue.fix_text, self.checks_box)
                button.setObjectName("dataFixButton")
                button.clicked.connect(lambda _=False, fix=issue.fix: self.document.push(fix()))
                self.checks.addWidget(button)

    # -- edits ------------------------------------------------------------------------------------
    def choose_file(self) -> None:
        path = ask_data_path(self)
        if path and path == self.settings.path:  # the same file again: read it again
            self._reading = None
            self.load()
        elif path:
            self._set_source("path", path, target=None)

    def choose_validation_file(self) -> None:
        path = ask_data_path(self)
        if path:
            self._set("validation_path", path, mergeable=False)

    def _set(self, name: str, value, mergeable: bool = True) -> None:
        if self._showing or getattr(self.settings, name) == value:
            return
        self.document.push(SetSetting(self.document, "data", name, value, self.refresh, mergeable))

    def _set_source(self, name: str, value, **also) -> None:
        """A new file or target: one undo step that also forgets the fitted statistics."""
        if self._showing or getattr(self.settings, name) == value:
            return
        stack = self.document.undo_stack
        stack.beginMacro(f"Set data {name}")
        for field, new in {name: value, **also, "mean": None, "std": None}.items():
            stack.push(SetSetting(self.document, "data", field, new, self.refresh))
        stack.endMacro()

    def _standardize_toggled(self, on: bool) -> None:
        if self._showing or self.settings.standardize == on:
            return
        stack = self.document.undo_stack
        stack.beginMacro("Standardize" if on else "Stop standardizing")
        for field, new in (("standardize", on), ("mean", None), ("std", None)):
            stack.push(SetSetting(self.document, "data", field, new, self.refresh))
        stack.endMacro()
