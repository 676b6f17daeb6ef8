"""The studio's main window: palette | canvas | inspector over summary, with menus and a toolbar.

It only composes: each panel lives in its own module and talks to the others through the
Document (edits, undo) and the canvas's selection.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QCloseEvent, QKeySequence
from PySide6.QtWidgets import (QApplication, QMainWindow, QMessageBox, QSplitter, QTabWidget, QToolBar, QVBoxLayout,
                               QWidget)

from builder.project import Project

from . import theme
from .autosave import Autosave
from .canvas import CanvasPanel
from .document import Document
from .files import FileActions
from .icons import action_icon, app_icon
from .inspector import Inspector
from .palette import PalettePanel
from .selection_sync import SelectionSync
from .settings import settings
from .stack_model import layer_types_mime
from .summary import SummaryPanel
from .training.train_panel import TrainPanel

DEFAULT_SIZE = (1360, 860)
DEFAULT_SPLIT = (230, 560, 540)
DEFAULT_SIDE_SPLIT = (430, 400)


class MainWindow(QMainWindow):
    """The studio. `MainWindow()` opens on the default template with the bundled digits."""

    def __init__(self, project: Project | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowIcon(app_icon())
        self._apply_theme(bool(settings().value("view/dark", False, type=bool)))
        self.document = Document(project, self)

        self.palette_panel = PalettePanel(self)
        self.canvas_panel = CanvasPanel(self.document, self)
        self.inspector = Inspector(self.document, self.canvas_panel.view, self)
        self.summary_panel = SummaryPanel(self.document, self)
        self.palette = self.palette_panel.view
        self.canvas = self.canvas_panel.view
        self.summary_table = self.summary_panel.view
        self.summary_totals = self.summary_panel.totals
        self.selection_sync = SelectionSync(self.canvas, self.summary_table, self)
        self.palette_panel.layerRequested.connect(self.append_layer)

        self.side_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.side_splitter.setObjectName("sideSplitter")
        self.side_splitter.addWidget(self.inspector)
        self.side_splitter.addWidget(self.summary_panel)
        self._train_panel: TrainPanel | None = None
        self.train_host = QWidget(self)
        QVBoxLayout(self.train_host).setContentsMargins(0, 0, 0, 0)
        self.side_tabs = QTabWidget(self)
        self.side_tabs.setObjectName("sideTabs")
        self.side_tabs.setDocumentMode(True)
        self.side_tabs.addTab(self.side_splitter, "Design")
        self.side_tabs.addTab(self.train_host, "Train")
        self.side_tabs.currentChanged.connect(self._side_tab_shown)
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_splitter.setObjectName("mainSplitter")
        for widget, minimum in ((self.palette_panel, 150), (self.canvas_panel, 280), (self.side_tabs, 300)):
            widget.setMinimumWidth(minimum)
            self.main_splitter.addWidget(widget)
            self.main_splitter.setCollapsible(self.main_splitter.indexOf(widget), False)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setHandleWidth(5)
        self.side_splitter.setHandleWidth(5)
        self.setCentralWidget(self.main_splitter)

        self.files = FileActions(self.document, self)
        self.files.projectOpened.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.autosave = Autosave(self.document, self)
        self.autosave.status.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self._build_menus()
        self._build_toolbar()
        self.document.projectReplaced.connect(self._update_title)
        self.document.modifiedChanged.connect(self._update_title)
        self.document.saved.connect(self._update_title)
        self._update_title()
        theme.style(self.statusBar(), "statusBar")
        self.statusBar().showMessage("Drag layers from the palette onto the stack; the summary follows every edit.")
        self._restore_layout()
        self.canvas.setFocus()

    # -- menus and toolbar ------------------------------------------------------------------------
    def _build_menus(self) -> None:
        stack = self.document.undo_stack
        self.undo_action = stack.createUndoAction(self, "Undo")
        self.undo_action.setIcon(action_icon("undo"))
        self.undo_action.setShortcuts([QKeySequence.StandardKey.Undo])
        self.redo_action = stack.createRedoAction(self, "Redo")
        self.redo_action.setIcon(action_icon("redo"))
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])

        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.files.new)
        file_menu.addMenu(self.files.templates_menu)
        file_menu.addAction(self.files.open)
        file_menu.addMenu(self.files.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.files.save)
        file_menu.addAction(self.files.save_as)
        file_menu.addSeparator()
        file_menu.addAction(self.files.import_keras)
        file_menu.addAction(self.files.export)
        file_menu.addSeparator()
        quit_action = file_menu.addAction("Quit", self.close)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)

        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        edit_menu.addSeparator()
        for action in self.canvas.stack_actions.all():
            edit_menu.addAction(action)
        edit_menu.addSeparator()
        select_all = edit_menu.addAction("Select All Layers", self.canvas.selectAll)
        select_all.setShortcut(QKeySequence.StandardKey.SelectAll)
        select_all.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.canvas.addAction(select_all)

        view_menu = self.menuBar().addMenu("&View")
        self.dark_action = view_menu.addAction("Dark Theme")
        self.dark_action.setCheckable(True)
        self.dark_action.setChecked(theme.current().dark)
        self.dark_action.toggled.connect(self.set_dark)
        view_menu.addAction("Reset Layout", self.reset_layout)

        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("About SeqStudio", self._about)

        for action in (self.undo_action, self.redo_action):
            self.addAction(action)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Main", self)
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        for action in (self.files.new, self.files.open, self.files.save):
            bar.addAction(action)
        bar.addSeparator()
        bar.addAction(self.undo_action)
        bar.addAction(self.redo_action)
        bar.addSeparator()
        for action in self.canvas.stack_actions.all():
            bar.addAction(action)
        self.addToolBar(bar)

    # -- behaviour -------------------------------------------------------------------------------
    @property
    def train_panel(self) -> TrainPanel:
        """The Train area, built when first shown (pyqtgraph stays out of the start-up time)."""
        if self._train_panel is None:
            self._train_panel = TrainPanel(self.document, self.train_host)
            self.train_host.layout().addWidget(self._train_panel)
            self._train_panel.show()
        return self._train_panel

    def _side_tab_shown(self, index: int) -> None:
        if self.side_tabs.widget(index) is self.train_host:
            self.train_panel  # noqa: B018 - builds it

    def append_layer(self, class_name: str) -> None:
        """Append a fresh `class_name` layer at the end of the stack (one undo step)."""
        model = self.canvas.model()
        model.dropMimeData(layer_types_mime([class_name]), Qt.DropAction.CopyAction, model.rowCount(), 0,
                           model.index(-1, -1))

    def open_path(self, path) -> bool:
        return self.files.open_path(path, ask=False)

    def set_dark(self, dark: bool) -> None:
        self._apply_theme(dark)
        settings().setValue("view/dark", dark)
        self.update()
        self.canvas.viewport().update()

    def _apply_theme(self, dark: bool) -> None:
        app = QApplication.instance()
        if app is not None:
            theme.apply(app, dark)

    def _update_title(self, *_) -> None:
        self.setWindowTitle(f"{self.document.display_name}[*] — SeqStudio")
        self.setWindowModified(self.document.modified)

    def _about(self) -> None:
        QMessageBox.about(self, "About SeqStudio",
                          "<b>SeqStudio</b><br>Design and train Keras-style Sequential networks by hand, "
                          "on a Numba engine.")

    # -- layout memory ---------------------------------------------------------------------------
    def reset_layout(self) -> None:
        self.main_splitter.setSizes(list(DEFAULT_SPLIT))
        self.side_splitter.setSizes(list(DEFAULT_SIDE_SPLIT))

    def _restore_layout(self) -> None:
        store = settings()
        screen = self.screen().availableGeometry()
        self.resize(min(DEFAULT_SIZE[0], int(screen.width() * 0.95)), min(DEFAULT_SIZE[1], int(screen.height() * 0.92)))
        self.reset_layout()
        geometry = store.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        for splitter in (self.main_splitter, self.side_splitter):
            state = store.value(f"window/{splitter.objectName()}")
            if isinstance(state, QByteArray):
                splitter.restoreState(state)

    def save_layout(self) -> None:
        store = settings()
        store.setValue("window/geometry", self.saveGeometry())
        for splitter in (self.main_splitter, self.side_splitter):
            store.setValue(f"window/{splitter.objectName()}", splitter.saveState())

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.files.maybe_save():
            event.ignore()
            return
        self.autosave.discard()  # saved or discarded on purpose: nothing to recover
        if self._train_panel is not None:
            self._train_panel.shutdown()
        self.save_layout()
        event.accept()
