"""Helpers for the command-line tests: results, the one-line error check, store stats, CSVs."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from tastemaker.data import Store

EVENT_HEADER = ["user_id", "item_id", "event", "count", "timestamp"]

# one tqdm bar as drawn on stderr, e.g. "ingest neg.csv:  25%|██▌       | 1/4 [00:00<00:00, ...]"
_PROGRESS = re.compile(r"^.*:\s+\d{1,3}%\|.*\|\s+\d+/\d+ \[")


@dataclass
class Result:
    """What one command did: its exit code and what it printed."""

    code: int
    out: str
    err: str

    @property
    def messages(self) -> list[str]:
        """stderr's lines, progress bars (drawn with carriage returns) left out."""
        lines = (line.strip() for line in re.split(r"[\r\n]", self.err))
        return [line for line in lines if line and not _PROGRESS.match(line)]


def assert_clean_error(result: Result, *fragments: str, code: int = 1) -> str:
    """The command failed with ``code``, said why in one line naming ``fragments``, no traceback.

    Exit code 1 (an error the user can fix) prints exactly one line, ``error: ...``. Exit code 2
    (click's usage errors) prints click's usual usage line and hint, and exactly one ``Error: ...``
    line. Returns that line.
    """
    assert result.code == code, (result.code, result.out, result.err)
    assert "Traceback" not in result.err and "Traceback" not in result.out, result.err
    if code == 2:
        errors = [m for m in result.messages if m.startswith("Error:")]
        others = [m for m in result.messages if not m.startswith(("Error:", "Usage:", "Try "))]
        assert len(errors) == 1 and not others, result.messages
        line = errors[0]
    else:
        assert len(result.messages) == 1, result.messages
        line = result.messages[0]
        assert line.startswith("error: "), line
    for fragment in fragments:
        assert fragment.casefold() in line.casefold(), (fragment, line)
    return line


def store_stats(db: Path) -> dict[str, int]:
    """Row counts per table, the store opened read-only and closed again."""
    with Store(db, read_only=True) as store:
        return store.stats()


def write_events(path: Path, rows: list[list[object]], header: list[str] = EVENT_HEADER) -> Path:
    """A UTF-8 events CSV with a header line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path
