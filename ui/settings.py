"""Where the studio remembers things (splitter sizes, theme, recent files).

Always an INI file in the user scope under one organisation/application name, so tests can
point QSettings.setPath(IniFormat, UserScope, tmp) elsewhere and never touch the real one.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

ORGANIZATION = "SeqStudio"
APPLICATION = "SeqStudio"


def settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)
