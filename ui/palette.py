"""The palette: every layer type of the catalog, grouped by family, searchable, draggable.

Items' text is exactly the Keras class name; dragging one produces the canvas's
LAYER_TYPES_MIME payload; double-click or Enter asks for the layer to be appended.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSize, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent, QPainter, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView, QFrame, QLineEdit, QStyledItemDelegate, QStyleOptionViewItem, QTreeView, QVBoxLayout, QWidget,
)

from builder.catalog import FAMILIES, layer_types

from . import theme
from .icons import family_icon
from .stack_model import LAYER_TYPES_MIME, layer_types_mime
from .widgets import panel_title

ClassNameRole = Qt.ItemDataRole.UserRole + 10
HelpRole = Qt.ItemDataRole.UserRole + 11


class PaletteModel(QStandardItemModel):
    """Families as top-level rows, layer types under them; drags carry class names."""

    def __init__(self, parent=None):
        super().__init__(parent)
        families: dict[str, QStandardItem] = {}
        for family in FAMILIES:
            item = QStandardItem(family)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            families[family] = item
        for layer_type in layer_types():
            item = QStandardItem(family_icon(layer_type.family), layer_type.name)
            item.setToolTip(layer_type.help)
            item.setData(layer_type.name, ClassNameRole)
            item.setData(layer_type.help, HelpRole)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
            families[layer_type.family].appendRow(item)
        for family in FAMILIES:
            if families[family].rowCount():
                self.appendRow(families[family])

    def mimeTypes(self) -> list[str]:
        return [LAYER_TYPES_MIME]

    def mimeData(self, indexes):
        names = [index.data(ClassNameRole) for index in indexes if index.data(ClassNameRole)]
        return layer_types_mime(names)

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction


class PaletteFilter(QSortFilterProxyModel):
    """Keeps the layer types whose name or help contains the search text (families follow)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setRecursiveFilteringEnabled(True)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:
        needle = self.filterRegularExpression().pattern().lower()
        if not needle:
            return True
        index = self.sourceModel().index(source_row, 0, source_parent)
        name = index.data(ClassNameRole)
        if name is None:  # a family row: shown when a child matches (recursive filtering)
            return False
        return needle in name.lower() or needle in (index.data(HelpRole) or "").lower()


class PaletteDelegate(QStyledItemDelegate):
    """Family rows as small section headings; layer rows as roomy list items."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width(), 30 if index.data(ClassNameRole) is None else max(size.height(), 26))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        if index.data(ClassNameRole) is not None:
            super().paint(painter, option, index)
            return
        painter.save()
        font = QFont(option.font)
        font.setBold(True)
        font.setPointSizeF(option.font.pointSizeF() - 1)
        font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 0.8)
        painter.setFont(font)
        painter.setPen(QColor(theme.current().muted))
        rect = option.rect.adjusted(4, 0, 0, -4)
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, index.data().upper())
        painter.restore()


class PaletteView(QTreeView):
    """The palette list itself (objectName `palette`); Enter appends like a double-click."""

    layerRequested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("palette")
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setIndentation(10)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setItemDelegate(PaletteDelegate(self))
        self.setIconSize(QSize(20, 20))
        self.setItemsExpandable(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setAnimated(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.doubleClicked.connect(self.request_layer)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.request_layer(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)

    def request_layer(self, index: QModelIndex) -> None:
        name = index.data(ClassNameRole)
        if name:
            self.layerRequested.emit(name)


class PalettePanel(QWidget):
    """Title, search box and the palette view."""

    def __init__(self, parent=None):
        super().__init__(parent)
        theme.style(self, "panel")
        self.source_model = PaletteModel(self)
        self.filter_model = PaletteFilter(self)
        self.filter_model.setSourceModel(self.source_model)
        self.search = QLineEdit(self)
        self.search.setObjectName("paletteSearch")
        self.search.setPlaceholderText("Search layers")
        self.search.setClearButtonEnabled(True)
        self.view = PaletteView(self)
        self.view.setModel(self.filter_model)
        self.view.expandAll()
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._append_first_match)

        title = panel_title("Layers", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(title)
        search_row = QVBoxLayout()
        search_row.setContentsMargins(8, 0, 8, 4)
        search_row.addWidget(self.search)
        layout.addLayout(search_row)
        layout.addWidget(self.view, 1)

    @property
    def layerRequested(self):
        return self.view.layerRequested

    def _filter(self, text: str) -> None:
        self.filter_model.setFilterFixedString(text.strip())
        self.view.expandAll()

    def _append_first_match(self) -> None:
        """Enter in the search box adds the first layer type still shown."""
        for family_row in range(self.filter_model.rowCount()):
            family = self.filter_model.index(family_row, 0)
            if self.filter_model.rowCount(family):
                self.view.request_layer(self.filter_model.index(0, 0, family))
                return

    def class_names(self) -> list[str]:
        """The layer types currently shown, in order (what the tests and the search see)."""
        names = []
        for family_row in range(self.filter_model.rowCount()):
            family = self.filter_model.index(family_row, 0)
            for row in range(self.filter_model.rowCount(family)):
                names.append(self.filter_model.index(row, 0, family).data())
        return names
