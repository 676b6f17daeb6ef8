"""Before Qt starts on Linux: is there a display, and are the X11 (xcb) libraries there?

Qt aborts with a cryptic message when its xcb plugin cannot load; this says in plain words
which library is missing and what to install, and the command exits with status 2 instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

APT_LINE = (
    "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 "
    "libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0 "
    "libegl1 libfontconfig1 libdbus-1-3"
)

# (library name for find_library, its usual soname, the Debian/Ubuntu package): what Qt's
# xcb platform plugin links against beyond the core X libraries.
XCB_LIBRARIES = (
    ("xcb-cursor", "libxcb-cursor.so.0", "libxcb-cursor0"),
    ("xcb-icccm", "libxcb-icccm.so.4", "libxcb-icccm4"),
    ("xcb-keysyms", "libxcb-keysyms.so.1", "libxcb-keysyms1"),
    ("xcb-image", "libxcb-image.so.0", "libxcb-image0"),
    ("xcb-render-util", "libxcb-render-util.so.0", "libxcb-render-util0"),
    ("xcb-shape", "libxcb-shape.so.0", "libxcb-shape0"),
    ("xcb-xkb", "libxcb-xkb.so.1", "libxcb-xkb1"),
    ("xkbcommon-x11", "libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
    ("EGL", "libEGL.so.1", "libegl1"),
    ("fontconfig", "libfontconfig.so.1", "libfontconfig1"),
    ("dbus-1", "libdbus-1.so.3", "libdbus-1-3"),
)


def library_present(name: str, soname: str) -> bool:
    """Whether the dynamic loader can find the library (by soname first: fast, no ldconfig)."""
    try:
        ctypes.CDLL(soname)
        return True
    except OSError:
        pass
    found = ctypes.util.find_library(name)
    if found is None:
        return False
    try:
        ctypes.CDLL(found)
        return True
    except OSError:
        return False


def missing_xcb_libraries() -> list[tuple[str, str]]:
    """(soname, package) of every xcb-plugin library the loader cannot find."""
    return [(soname, package) for name, soname, package in XCB_LIBRARIES if not library_present(name, soname)]


def _uses_xcb(environ) -> bool:
    platform = environ.get("QT_QPA_PLATFORM", "")
    if platform:
        return platform.split(":")[0] == "xcb"
    wayland_session = environ.get("WAYLAND_DISPLAY") and environ.get("XDG_SESSION_TYPE") == "wayland"
    return not wayland_session


def startup_problem(environ=None, platform: str | None = None) -> str | None:
    """A plain-words message when the window cannot open here, else None."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        return None
    if not environ.get("QT_QPA_PLATFORM") and not environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY"):
        return ("error: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set), so the studio window "
                "cannot open here.\nRun it in a desktop session, or use the command line: seqstudio --help")
    if not _uses_xcb(environ):
        return None
    missing = missing_xcb_libraries()
    if not missing:
        return None
    names = ", ".join(f"{soname} (package {package})" for soname, package in missing)
    return (f"error: the studio window needs system libraries that are missing: {names}.\n"
            f"Install them with:\n    {APT_LINE}")
