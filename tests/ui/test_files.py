"""Files: templates, save and open round trip, title and modified mark, the unsaved prompt,
recent files, and the layout and theme remembered in (temporary) QSettings."""

import pytest

from builder.catalog import layer_class
from builder.errors import ConfigError
from builder.templates import TEMPLATES, _template
from studio_helpers import canvas_texts, drop_types, summary_cells
from ui.main_window import MainWindow


def _catalog_has(name: str) -> bool:
    try:
        return all(layer_class(class_name) for class_name, _ in _template(name).layers)
    except ConfigError:
        return False


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_loads_with_a_valid_summary(window, dialogs, name):
    if not _catalog_has(name):
        pytest.skip(f"template {name!r} uses a layer type not in the catalog yet")
    assert window.files.new_from_template(name)
    model = window.document.model
    assert canvas_texts(window) == [layer.class_name for layer in model.layers]
    assert "?" not in summary_cells(window, 2)
    assert "Total params: ?" not in window.summary_totals.text()
    assert dialogs.errors == []
    assert window.document.undo_stack.count() == 0


def test_save_and_open_round_trip_with_title_and_modified_mark(window, dialogs, tmp_path):
    assert window.windowTitle().startswith("digits (unsaved)")
    drop_types(window, ["Dense"], 2)
    assert window.isWindowModified()
    dialogs.save_path = str(tmp_path / "mine.json")
    assert window.files.save_current()  # no path yet: Save asks where (Save As)
    assert window.windowTitle().startswith("mine.json") and not window.isWindowModified()
    saved = summary_cells(window, 0), summary_cells(window, 1), summary_cells(window, 2)

    assert window.files.new_from_template("mlp")
    assert canvas_texts(window) == ["Dense", "Activation", "Dense", "Activation"]
    assert window.files.open_path(tmp_path / "mine.json")
    assert (summary_cells(window, 0), summary_cells(window, 1), summary_cells(window, 2)) == saved
    assert window.windowTitle().startswith("mine.json")
    assert window.files.recent_paths()[0].endswith("mine.json")
    assert dialogs.errors == []


def test_a_broken_file_is_reported_and_the_project_stays(window, dialogs, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert not window.files.open_path(broken)
    assert dialogs.errors and "not valid JSON" in dialogs.errors[0][1]
    assert canvas_texts(window) == ["Dense", "Dropout", "Dense"]


def test_closing_with_unsaved_changes_asks_first(qtbot, dialogs):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.close()  # nothing changed: no question
    assert dialogs.unsaved_asked == 0
    window.show()
    drop_types(window, ["Flatten"], 0)
    dialogs.unsaved_answer = "cancel"
    window.close()
    assert dialogs.unsaved_asked == 1 and window.isVisible()
    dialogs.unsaved_answer = "discard"
    window.close()
    assert not window.isVisible()


def test_splitters_and_theme_are_remembered(qtbot, dialogs):
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    first.resize(780, 560)  # inside the offscreen screen, so the geometry is restored as is
    first.main_splitter.setSizes([200, 300, 270])
    remembered = first.main_splitter.sizes()
    first.set_dark(True)
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    assert second.main_splitter.sizes() == remembered
    assert second.dark_action.isChecked()
    second.set_dark(False)
