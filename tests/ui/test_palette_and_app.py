"""The palette mirrors the catalog; the `seqstudio` command keeps Qt out of subcommands and
explains a missing display or missing X11 libraries instead of letting Qt abort."""

import subprocess
import sys

from PySide6.QtCore import Qt

from builder.catalog import FAMILIES, layer_types
from builder.errors import ConfigError
from studio_helpers import canvas_texts, palette_index
from ui import app, guard, platform_check


def test_palette_lists_the_catalog_by_family_with_help_and_icons(window):
    panel = window.palette_panel
    assert window.palette.objectName() == "palette"
    assert panel.class_names() == [t.name for t in layer_types()]
    families = [panel.filter_model.index(r, 0).data() for r in range(panel.filter_model.rowCount())]
    assert families == [f for f in FAMILIES if any(t.family == f for t in layer_types())]
    dense = palette_index(window, "Dense")
    assert dense.data(Qt.ItemDataRole.ToolTipRole).startswith("Fully connected")
    assert not dense.data(Qt.ItemDataRole.DecorationRole).isNull()


def test_search_filters_and_enter_appends(window, qtbot):
    panel = window.palette_panel
    panel.search.setText("drop")
    assert panel.class_names() and all("drop" in (n + palette_index(window, n).data(Qt.ItemDataRole.ToolTipRole)).lower()
                                       for n in panel.class_names())
    assert "Dense" not in panel.class_names()
    qtbot.keyClick(panel.search, Qt.Key.Key_Return)  # Enter in the search box: the first match
    assert canvas_texts(window)[-1] == panel.class_names()[0]
    panel.search.clear()
    window.palette.setCurrentIndex(palette_index(window, "Flatten"))
    qtbot.keyClick(window.palette, Qt.Key.Key_Return)
    assert canvas_texts(window)[-1] == "Flatten"
    window.palette.doubleClicked.emit(palette_index(window, "Dense"))
    assert canvas_texts(window)[-1] == "Dense"


def test_subcommands_do_not_import_qt():
    code = ("import sys; from ui.app import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "assert 'PySide6' not in sys.modules, 'Qt was imported'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "usage: seqstudio" in result.stdout


def test_no_display_is_a_plain_error_with_status_2(monkeypatch, capsys):
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(platform_check.sys, "platform", "linux")
    assert app.main([]) == 2
    assert "no display found" in capsys.readouterr().err


def test_a_missing_xcb_library_names_the_package_and_the_apt_line(monkeypatch, capsys):
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(platform_check.sys, "platform", "linux")
    monkeypatch.setattr(platform_check, "library_present", lambda name, soname: name != "xcb-cursor")
    assert app.main([]) == 2
    err = capsys.readouterr().err
    assert "libxcb-cursor.so.0 (package libxcb-cursor0)" in err
    assert platform_check.APT_LINE in err and "libxcb-icccm4" in err


def test_the_xcb_check_only_applies_where_xcb_is_used(monkeypatch):
    monkeypatch.setattr(platform_check, "library_present", lambda name, soname: False)
    assert platform_check.startup_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert platform_check.startup_problem({"DISPLAY": ":0"}, "darwin") is None
    wayland = {"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland", "DISPLAY": ":0"}
    assert platform_check.startup_problem(wayland, "linux") is None
    assert "libegl1" in platform_check.startup_problem({"QT_QPA_PLATFORM": "xcb"}, "linux")


def test_the_guard_turns_an_escaped_exception_into_a_message(dialogs, capsys):
    try:
        raise ConfigError("Dense: invalid units=0")
    except ConfigError:
        guard._report(*sys.exc_info())
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        guard._report(*sys.exc_info())
    assert dialogs.errors[0] == ("SeqStudio", "Dense: invalid units=0")
    assert "RuntimeError: boom" in dialogs.errors[1][1]
    assert "Traceback" in capsys.readouterr().err


def test_a_project_path_opens_the_window_on_it(monkeypatch):
    opened = []
    monkeypatch.setattr(platform_check, "startup_problem", lambda: None)
    monkeypatch.setattr(app, "run_studio", lambda path=None: opened.append(path) or 0)
    assert app.main(["model.json"]) == 0 and opened == ["model.json"]
    assert app.main([]) == 0 and opened[-1] is None
    assert app.main(["a.json", "b.json"]) == 2
