"""Compile settings: the optimizer with its own hyper-parameters, the loss (with a suggestion
from the data), metrics, epochs, batch size, shuffle, seed and the device. Every change is an undoable
SetSetting on the project's CompileSettings."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLineEdit, QPushButton,
                               QScrollArea, QSpinBox, QVBoxLayout, QWidget)

from builder import optimizers
from builder.errors import ConfigError
from builder.losses import LOSS_CLASSES

from ..param_editors import editor_for
from ..widgets import mark_invalid, styled_label
from .commands import SetSetting
from .data_checks import CLASS_LOSSES
from .device_choice import DeviceChoice

LOSSES = tuple(cls.name for cls in LOSS_CLASSES.values())
NO_SEED = -1


class CompilePanel(QScrollArea):
    def __init__(self, document, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("compilePanel")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.document = document
        self._showing = False
        body = QWidget(self)
        form = QFormLayout()
        self.optimizer_box = QComboBox(body)
        self.optimizer_box.setObjectName("optimizerBox")
        for name, cls in optimizers.OPTIMIZERS.items():
            self.optimizer_box.addItem(cls.__name__, name)
        form.addRow("Optimizer", self.optimizer_box)
        self.optimizer_group = QGroupBox("Optimizer settings", body)
        self.optimizer_form = QFormLayout(self.optimizer_group)
        self.editors = []
        self.loss_box = QComboBox(body)
        self.loss_box.setObjectName("lossBox")
        self.loss_box.addItems(LOSSES)
        self.suggest_button = QPushButton("Use suggested", body)
        self.suggest_button.setObjectName("suggestLossButton")
        self.suggest_button.hide()
        loss_row = QHBoxLayout()
        loss_row.addWidget(self.loss_box, 1)
        loss_row.addWidget(self.suggest_button)
        self.suggestion = styled_label("", "hint", body, wrap=True)
        self.suggestion.setObjectName("lossSuggestion")
        self.metrics_edit = QLineEdit(body)
        self.metrics_edit.setObjectName("metricsEdit")
        self.metrics_edit.setPlaceholderText("accuracy, mae, …")
        self.epochs_spin = self._spin("epochsSpin", 1, 100000, body)
        self.batch_spin = self._spin("batchSizeSpin", 1, 1 << 20, body)
        self.shuffle_check = QCheckBox("Shuffle the samples every epoch", body)
        self.shuffle_check.setObjectName("shuffleCheck")
        self.seed_spin = self._spin("seedSpin", NO_SEED, 2**31 - 1, body)
        self.seed_spin.setSpecialValueText("random")
        self.device_box = DeviceChoice(body)
        form.addRow("Loss", loss_row)
        form.addRow("", self.suggestion)
        form.addRow("Metrics", self.metrics_edit)
        form.addRow("Epochs", self.epochs_spin)
        form.addRow("Batch size", self.batch_spin)
        form.addRow("", self.shuffle_check)
        form.addRow("Seed", self.seed_spin)
        form.addRow("Device", self.device_box)
        layout = QVBoxLayout(body)
        layout.addLayout(form)
        layout.addWidget(self.optimizer_group)
        layout.addStretch(1)
        self.setWidget(body)
        self._suggested: str | None = None
        self._reason = ""

        self.optimizer_box.activated.connect(self._optimizer_chosen)
        self.loss_box.activated.connect(lambda: self._set("loss", self.loss_box.currentText(), mergeable=False))
        self.suggest_button.clicked.connect(lambda: self._set("loss", self._suggested, mergeable=False))
        self.metrics_edit.editingFinished.connect(self._metrics_edited)
        self.epochs_spin.valueChanged.connect(lambda v: self._set("epochs", v))
        self.batch_spin.valueChanged.connect(lambda v: self._set("batch_size", v))
        self.shuffle_check.toggled.connect(lambda v: self._set("shuffle", v))
        self.seed_spin.valueChanged.connect(lambda v: self._set("seed", None if v == NO_SEED else v))
        self.device_box.activated.connect(
            lambda: self._set("device", self.device_box.currentData(), mergeable=False))
        document.undo_stack.indexChanged.connect(self.refresh)
        document.projectReplaced.connect(self.refresh)
        self.refresh()

    @staticmethod
    def _spin(name: str, low: int, high: int, parent: QWidget) -> QSpinBox:
        spin = QSpinBox(parent)
        spin.setObjectName(name)
        spin.setRange(low, high)
        spin.setKeyboardTracking(False)
        return spin

    @property
    def settings(self):
        return self.document.project.compile

    # -- showing the settings ------------------------------------------------------------------
    def refresh(self, *_) -> None:
        self._showing = True
        try:
            s = self.settings
            optimizer = optimizers.deserialize(s.optimizer)
            self.optimizer_box.setCurrentIndex(self.optimizer_box.findData(type(optimizer).__name__.lower()))
            self._show_optimizer(optimizer)
            if self.loss_box.findText(s.loss) < 0:
                self.loss_box.addItem(s.loss)
            self.loss_box.setCurrentText(s.loss)
            self.metrics_edit.setText(", ".join(map(str, s.metrics)))
            self.epochs_spin.setValue(s.epochs)
            self.batch_spin.setValue(s.batch_size)
            self.shuffle_check.setChecked(s.shuffle)
            self.seed_spin.setValue(NO_SEED if s.seed is None else s.seed)
            self.device_box.show_device(s.device)
            self._show_suggestion()
        finally:
            self._showing = False

    def _show_optimizer(self, optimizer) -> None:
        config = optimizer.get_config()
        if [e.param.name for e in self.editors] != [p.name for p in type(optimizer).PARAMS]:
            while self.optimizer_form.rowCount():
                self.optimizer_form.removeRow(0)
            self.editors = []
            for param in type(optimizer).PARAMS:
                editor = editor_for(param, self.optimizer_group)
                editor.edited.connect(self._optimizer_edited)
                self.optimizer_form.addRow(param.name.replace("_", " "), editor.widget)
                self.editors.append(editor)
        for editor in self.editors:
            value = config.get(editor.param.name, editor.param.default)
            if value is None and isinstance(editor.widget, QLineEdit):  # an optional setting left off
                editor.widget.setText("")
                editor.widget.setPlaceholderText("none")
            else:
                editor.show_value(value)
            mark_invalid(editor.widget, None)

    def suggest_loss(self, loss: str | None, reason: str = "") -> None:
        """The loss the data calls for (from the data panel), offered when it differs."""
        self._suggested, self._reason = loss, reason
        self._show_suggestion()

    def _show_suggestion(self) -> None:
        differs = self._suggested is not None and self._suggested != self.settings.loss
        if {self._suggested, self.settings.loss} <= set(CLASS_LOSSES):  # either one reads integer labels
            differs = False
        self.suggest_button.setVisible(differs)
        self.suggestion.setText(f"The data suggests {self._suggested} ({self._reason})." if differs else "")
        self.suggestion.setVisible(differs)

    # -- edits ------------------------------------------------------------------------------------
    def _set(self, name: str, value, mergeable: bool = True) -> None:
        if self._showing or getattr(self.settings, name) == value:
            return
        self.document.push(SetSetting(self.document, "compile", name, value, self.refresh, mergeable))

    def _optimizer_chosen(self) -> None:
        cls = optimizers.OPTIMIZERS[self.optimizer_box.currentData()]
        self._set("optimizer", optimizers.serialize(cls()), mergeable=False)

    def _optimizer_edited(self) -> None:
        if self._showing:
            return
        cls = optimizers.OPTIMIZERS[self.optimizer_box.currentData()]
        values = {}
        for editor in self.editors:
            try:
                off = isinstance(editor.widget, QLineEdit) and editor.widget.text().strip() in ("", "None", "none")
                values[editor.param.name] = None if off and editor.param.default is None else editor.value()
                mark_invalid(editor.widget, None)
            except ConfigError as error:
                mark_invalid(editor.widget, str(error))
                return
        try:
            optimizer = cls(**values)
        except ConfigError as error:
            named = [e for e in self.editors if f"{e.param.name}=" in str(error)] or self.editors[-1:]
            mark_invalid(named[0].widget, str(error))
            return
        self._set("optimizer", optimizers.serialize(optimizer))

    def _metrics_edited(self) -> None:
        from builder import metrics

        names = [part.strip() for part in self.metrics_edit.text().split(",") if part.strip()]
        try:
            for name in names:
                metrics.check_identifier(name)
        except ConfigError as error:
            mark_invalid(self.metrics_edit, str(error))
            return
        mark_invalid(self.metrics_edit, None)
        self._set("metrics", names)
