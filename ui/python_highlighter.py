"""Syntax colours for the exported Python shown in the export preview."""

from __future__ import annotations

import keyword
import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat

from . import theme


def _format(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(QFont.Weight.DemiBold)
    fmt.setFontItalic(italic)
    return fmt


class PythonHighlighter(QSyntaxHighlighter):
    """Keywords, strings, numbers, comments and decorators, line by line (docstrings that
    span lines are coloured as strings through the block state)."""

    _KEYWORD = re.compile(r"\b(" + "|".join(keyword.kwlist) + r")\b")
    _NUMBER = re.compile(r"\b\d+(\.\d*)?([eE][-+]?\d+)?\b")
    _STRING = re.compile(r"""("[^"\\]*(\\.[^"\\]*)*"|'[^'\\]*(\\.[^'\\]*)*')""")
    _DECORATOR = re.compile(r"@\w+")
    _DEF = re.compile(r"\b(?:def|class)\s+(\w+)")
    _TRIPLE = re.compile(r'"""')

    def __init__(self, document):
        super().__init__(document)
        dark = theme.current().dark
        self.keyword = _format("#c678dd" if dark else "#8839ef", bold=True)
        self.string = _format("#98c379" if dark else "#2e7d32")
        self.number = _format("#d19a66" if dark else "#b35900")
        self.comment = _format(theme.current().muted, italic=True)
        self.name = _format("#61afef" if dark else "#1e66f5", bold=True)

    def highlightBlock(self, text: str) -> None:
        for pattern, fmt, group in ((self._KEYWORD, self.keyword, 0), (self._NUMBER, self.number, 0),
                                    (self._DECORATOR, self.name, 0), (self._DEF, self.name, 1),
                                    (self._STRING, self.string, 0)):
            for match in pattern.finditer(text):
                self.setFormat(match.start(group), match.end(group) - match.start(group), fmt)
        comment = _comment_start(text)
        if comment is not None:
            self.setFormat(comment, len(text) - comment, self.comment)
        self._docstrings(text)

    def _docstrings(self, text: str) -> None:
        """Colour text between triple quotes, carrying an open docstring to the next line."""
        inside = self.previousBlockState() == 1
        start = 0
        for match in self._TRIPLE.finditer(text):
            if inside:
                self.setFormat(start, match.end() - start, self.string)
            else:
                start = match.start()
            inside = not inside
        if inside:
            self.setFormat(start, len(text) - start, self.string)
        self.setCurrentBlockState(1 if inside else 0)


def _comment_start(text: str) -> int | None:
    """Index of a '#' that starts a comment (outside string literals), if any."""
    quote = None
    for i, char in enumerate(text):
        if quote:
            if char == quote and text[i - 1] != "\\":
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return i
    return None
