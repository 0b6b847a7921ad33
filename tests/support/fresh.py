"""A fresh Python interpreter with a bare environment, for what only a new process shows: which modules an import
loads, what a library does at load time, a benchmark workload."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def fresh_python(*arguments: str, path: tuple[Path, ...] = (ROOT / "src",), **variables: str) -> object:
    """Run ``python ARGUMENTS`` with only ``PATH``, ``PYTHONPATH`` (``path``), a region and ``variables`` set; it
    must succeed. Returns the JSON its last line of output prints."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.pathsep.join(str(folder) for folder in path),
        "AWS_DEFAULT_REGION": "us-east-1",
        **variables,
    }
    done = subprocess.run(
        [sys.executable, *arguments], env=environment, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
