"""Vocabularies: external string ids ↔ matrix rows (or columns)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from tastemaker.errors import InputError

__all__ = ["Vocabulary", "UnknownIdError", "resolve_name"]

#: single lookups answered by scanning the ids before a lookup table is built
_SCANS = 8


class UnknownIdError(InputError, KeyError):
    """An id that is not in a :class:`Vocabulary` (both an InputError and a KeyError)."""

    __str__ = InputError.__str__


class Vocabulary:
    """Ids in a fixed order: ``ids[i]`` is the id of row ``i``, ``index(id)`` the row of an id.

    Parameters
    ----------
    ids : array-like of str
        The ids, unique, in row order. Stored as a NumPy unicode array (saves with
        ``np.savez`` and loads with ``allow_pickle=False``).
    name : str, default "id"
        What the ids are (``"user"``, ``"item"``), for error messages.

    Examples
    --------
    >>> users = Vocabulary(["u1", "u2"], name="user")
    >>> users.index("u2"), len(users), "u3" in users
    (1, 2, False)
    >>> users.index("u3")
    Traceback (most recent call last):
    ...
    tastemaker.data.vocab.UnknownIdError: unknown user 'u3'; known users look like 'u1', 'u2'
    """

    def __init__(self, ids: Iterable[Any], name: str = "id"):
        self.ids = np.asarray(ids if not isinstance(ids, Iterator) else list(ids), dtype=str)
        self.name = name
        self._lookup: dict[str, int] | None = None
        self._scans = 0

    def _table(self) -> dict[str, int]:
        if self._lookup is None:
            lookup = {str(key): i for i, key in enumerate(self.ids.tolist())}
            if len(lookup) != len(self.ids):
                raise ValueError(f"the {self.name} ids are not unique")
            self._lookup = lookup
        return self._lookup

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids.tolist())

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} {self.name}s)"

    def index(self, key: Any) -> int:
        """The row of ``key`` (converted with ``str``).

        Raises
        ------
        UnknownIdError
            If ``key`` is not in the vocabulary.
        """
        row = self.get(key)
        if row is None:
            raise self._unknown(key)
        return row

    def get(self, key: Any) -> int | None:
        """The row of ``key``, or None. Until many keys were asked for, a key is looked up by a
        scan of the ids (a command that asks for one of millions builds no table)."""
        key = str(key)
        if self._lookup is None and self._scans < _SCANS:
            self._scans += 1
            rows = np.flatnonzero(self.ids == key)
            if len(rows) > 1:
                raise ValueError(f"the {self.name} ids are not unique")
            return int(rows[0]) if len(rows) else None
        return self._table().get(key)

    def indices(self, keys: Iterable[Any]) -> np.ndarray:
        """The rows of ``keys`` as an int64 array; :class:`UnknownIdError` on the first unknown."""
        table = self._table()
        out = []
        for key in keys:
            row = table.get(str(key))
            if row is None:
                raise self._unknown(key)
            out.append(row)
        return np.asarray(out, dtype=np.int64)

    def _unknown(self, key: Any) -> UnknownIdError:
        examples = ", ".join(repr(k) for k in self.ids[:3].tolist())
        hint = f"known {self.name}s look like {examples}" if examples else None
        hint = hint or f"there are no {self.name}s"
        return UnknownIdError(f"unknown {self.name} {str(key)!r}", hint=hint)


def resolve_name(text: str, vocabulary: Vocabulary, names, *, what: str = "items",
                 unknown: str = "unknown item {text!r}",
                 hint: str = "search names with `tastemaker similar` or use an item id") -> int:
    """The row of an entry given by id or by name: exact (case-insensitive), else a unique part.

    Ties between exact names go to the first row; a part shared by several names, or no match at
    all, is an :class:`~tastemaker.errors.InputError` (``unknown`` and ``hint`` word the latter).
    """
    if text in vocabulary:
        return vocabulary.index(text)
    wanted = text.casefold().strip()
    lowered = np.char.lower(np.asarray(names, dtype=str))
    exact = np.flatnonzero(lowered == wanted)
    if len(exact):
        return int(exact[0])
    partial = np.flatnonzero(np.char.find(lowered, wanted) >= 0)
    if len(partial) == 1:
        return int(partial[0])
    if len(partial) > 1:
        shown = ", ".join(repr(str(names[i])) for i in partial[:5])
        raise InputError(f"{text!r} matches {len(partial)} {what} ({shown}, ...)",
                         hint="give the exact name or the item id")
    raise InputError(unknown.format(text=text), hint=hint)
