"""The project's exceptions: every failure a user can cause is one of these.

The command line prints them as ``error: <message>`` with exit status 2 and the studio shows
them in a dialog, so each message names the thing at fault (layer, argument, file, value).
"""


class SeqStudioError(Exception):
    """Base class of every error SeqStudio raises on purpose."""


class ConfigError(SeqStudioError, ValueError):
    """A hyper-parameter, compile setting or project field has an unusable value."""


class ShapeError(SeqStudioError, ValueError):
    """A layer cannot accept the shape that reaches it."""


class DataError(SeqStudioError, ValueError):
    """Input data (arrays or files) cannot be used as given."""
