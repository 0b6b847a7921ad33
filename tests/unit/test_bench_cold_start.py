"""``make bench``'s cold-start model: its SnapStart figure is a fork that runs the after-restore hooks Lambda runs."""

from __future__ import annotations

import pytest

from photobooth.native_threads import ENVIRONMENT
from tests.support.fresh import ROOT, fresh_python

pytest.importorskip("snapshot_restore_py")


@pytest.mark.parametrize("function", ["authorizer", "presign"])
def test_the_restore_workload_forks_the_initialised_handler_and_runs_its_hooks(function: str) -> None:
    result = fresh_python(
        "-m", "bench.cold_start", "restore", function, "2", path=(ROOT / "src", ROOT), **ENVIRONMENT
    )
    assert isinstance(result, dict)
    assert result["hooks"] >= 1  # a fork without the hooks would leave out what a restore runs
    assert result["init_cpu"] > 0
    assert len(result["restore"]) == 2 and all(seconds > 0 for seconds in result["restore"])
