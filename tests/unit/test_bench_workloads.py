"""``make bench``'s import workloads run (the figures themselves are the bench's business, not the tests')."""

from __future__ import annotations

import pytest

from photobooth.native_threads import ENVIRONMENT
from tests.support.fresh import ROOT, fresh_python


def _workload(*arguments: str) -> dict:
    result = fresh_python("-m", "bench.workloads", *arguments, path=(ROOT / "src", ROOT), **ENVIRONMENT)
    assert isinstance(result, dict)
    return result


@pytest.mark.parametrize(
    "arguments", [("import", "status"), ("import-libraries", "api"), ("import-libraries", "workflow")]
)
def test_an_import_workload_reports_its_seconds(arguments: tuple[str, ...]) -> None:
    result = _workload(*arguments)
    assert result["seconds"] > 0 and result["cpu"] > 0 and result["rss_mib"] > 0
