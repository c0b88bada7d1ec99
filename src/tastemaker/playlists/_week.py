"""ISO weeks (``2026-W48``): the key every Discover Weekly playlist is stored under."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from tastemaker.errors import InputError

__all__ = ["IsoWeek", "parse_week", "current_week"]

_PATTERN = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class IsoWeek:
    """One ISO 8601 week: ``IsoWeek(2026, 48)`` is ``2026-W48`` (Monday 23 November 2026).

    Weeks order by time, so ``earlier < later`` holds and their string forms sort the same way.
    """

    year: int
    week: int

    def __str__(self) -> str:
        return f"{self.year:04d}-W{self.week:02d}"

    @property
    def monday(self) -> dt.date:
        """The first day of the week."""
        return dt.date.fromisocalendar(self.year, self.week, 1)

    @property
    def key(self) -> int:
        """``year * 100 + week``: a small integer that seeds the week's exploration slots."""
        return self.year * 100 + self.week

    def previous(self) -> IsoWeek:
        """The week before."""
        year, week, _ = (self.monday - dt.timedelta(days=7)).isocalendar()
        return IsoWeek(year, week)


def parse_week(text: str | IsoWeek | None) -> IsoWeek:
    """An :class:`IsoWeek` from ``"2026-W48"`` (also ``2026W48``, ``2026-w48``); None: this week.

    Raises
    ------
    InputError
        If the text is not an ISO week or the week does not exist in that year.

    Examples
    --------
    >>> parse_week("2026-W48")
    IsoWeek(year=2026, week=48)
    >>> str(parse_week("2026w1"))
    '2026-W01'
    """
    if text is None:
        return current_week()
    if isinstance(text, IsoWeek):
        return text
    match = _PATTERN.match(str(text))
    hint = "write an ISO week such as 2026-W48 (year, 'W', week 01-53)"
    if match is None:
        raise InputError(f"week {text!r} is not an ISO week", hint=hint)
    year, week = int(match.group(1)), int(match.group(2))
    try:
        dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        last = dt.date(year, 12, 28).isocalendar()[1]
        raise InputError(f"week {text!r} does not exist: {year} has weeks 1 to {last}", hint=hint) from None
    if year < 1970:
        raise InputError(f"week {text!r} is before 1970", hint=hint)
    return IsoWeek(year, week)


def current_week(today: dt.date | None = None) -> IsoWeek:
    """The ISO week of ``today`` (default: the current UTC date)."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    year, week, _ = today.isocalendar()
    return IsoWeek(year, week)
