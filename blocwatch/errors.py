"""Errors blocwatch reports to the user, each with enough context to act on."""

from __future__ import annotations


class BlocwatchError(Exception):
    """Base class for errors shown to the user without a traceback."""


class ConfigError(BlocwatchError):
    """A configuration file is unreadable or an entry in it is invalid.

    The message names the file, the entry and the field, so the user can fix it
    without reading code.
    """

    def __init__(self, path: str, message: str, entry: str | None = None,
                 field: str | None = None) -> None:
        self.path = path
        self.entry = entry
        self.field = field
        where = path
        if entry is not None:
            where += f", entry {entry}"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {message}")
