"""Errors that reach a person: one clear line saying what, where and how to fix it."""

from __future__ import annotations

import os

__all__ = ["TastemakerError", "InputError"]


class TastemakerError(Exception):
    """Base class for errors the CLI turns into one line and a non-zero exit code."""


class InputError(TastemakerError, ValueError):
    """Bad input data: names the file, the row and the column, and says how to fix it.

    Parameters
    ----------
    message : str
        What is wrong.
    path : str or os.PathLike, optional
        The file it is in.
    row : int, optional
        1-based row number in that file (the header, if any, is row 1).
    column : str, optional
        The column it is in.
    hint : str, optional
        How to fix it.
    setting : str, optional
        The library setting (a parameter name) the fix is about; the command line names its flag.

    Examples
    --------
    >>> str(InputError("count is negative (-3)", path="plays.csv", row=7, column="count",
    ...                hint="counts must be >= 0"))
    'plays.csv, row 7, column count: count is negative (-3); counts must be >= 0'
    """

    def __init__(self, message, *, path=None, row=None, column=None, hint=None, setting=None):
        self.message = message
        self.path = os.fspath(path) if path is not None else None
        self.row = row
        self.column = column
        self.hint = hint
        self.setting = setting
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.path is not None:
            where.append(self.path)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.hint:
            text += f"; {self.hint}"
        return text
