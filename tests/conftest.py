"""What every test shares: with ``TASTEMAKER_STRICT_SKIPS=1`` (``make test``, CI) a skipped test
fails, so a missing data set, Java or Chromium can never pass unnoticed."""

from __future__ import annotations

import os

import pytest

STRICT = os.environ.get("TASTEMAKER_STRICT_SKIPS") == "1"


def _strict(report) -> None:
    if STRICT and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped, which fails with TASTEMAKER_STRICT_SKIPS=1: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _strict(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _strict(outcome.get_result())
