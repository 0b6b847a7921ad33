"""The state-machine tier skips nothing: a skip there (LocalStack's environment missing, a case left out) is a
failure, so "0 skipped" cannot be lost quietly. Registered by this folder's conftest.py, for its tests only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome: Any = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"tests/statemachine runs every test, and this one was skipped: {report.longrepr}"
