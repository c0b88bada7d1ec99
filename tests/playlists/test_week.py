"""ISO week parsing: the forms accepted, and one clear error for the rest."""

import datetime as dt

import pytest

from tastemaker.errors import InputError
from tastemaker.playlists import IsoWeek, current_week, parse_week


@pytest.mark.parametrize("text", ["2026-W48", "2026W48", "2026-w48", " 2026-W48 "])
def test_forms(text):
    assert parse_week(text) == IsoWeek(2026, 48)


def test_string_monday_and_order():
    week = parse_week("2026-W1")
    assert str(week) == "2026-W01"
    assert week.monday == dt.date(2025, 12, 29)
    assert week.previous() == IsoWeek(2025, 52)
    assert IsoWeek(2025, 52) < week < IsoWeek(2026, 10)
    assert str(IsoWeek(2026, 9)) < str(IsoWeek(2026, 10))  # stored strings sort like weeks


def test_week_53_only_in_long_years():
    assert parse_week("2026-W53") == IsoWeek(2026, 53)
    with pytest.raises(InputError, match=r"2025 has weeks 1 to 52"):
        parse_week("2025-W53")


@pytest.mark.parametrize("text", ["2026-48", "W48", "2026-W00", "2026-W54", "next week", "1969-W10"])
def test_bad_weeks(text):
    with pytest.raises(InputError, match="2026-W48"):  # the hint shows the form
        parse_week(text)


def test_current_week():
    assert current_week(dt.date(2026, 11, 23)) == IsoWeek(2026, 48)
    assert parse_week(None) == current_week()
