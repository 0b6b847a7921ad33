"""``make bench``'s import workloads run (the figures themselves are the bench's business, not the tests')."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _workload(*arguments: str) -> dict:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "AWS_DEFAULT_REGION": "us-east-1",
        "OPENBLAS_NUM_THREADS": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.workloads", *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "arguments", [("import", "status"), ("import-libraries", "api"), ("import-libraries", "workflow")]
)
def test_an_import_workload_reports_its_seconds(arguments: tuple[str, ...]) -> None:
    result = _workload(*arguments)
    assert result["seconds"] > 0 and result["cpu"] > 0 and result["rss_mib"] > 0
