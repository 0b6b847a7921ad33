"""The CLI caps glibc's malloc arenas and OpenBLAS's thread pool unless the operator chose a value."""

from __future__ import annotations

import os
import sys

import pytest

from photobooth.local import cli
from photobooth.local.memory import limit_malloc_arenas
from photobooth.native_threads import ENVIRONMENT
from tests.support.fresh import fresh_python


@pytest.mark.skipif(sys.platform != "linux", reason="glibc only")
def test_the_limit_is_applied_through_mallopt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas() is True


def test_an_explicit_malloc_arena_max_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    assert limit_malloc_arenas() is False


def test_the_cli_limits_openblas_before_numpy_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"


def test_an_explicit_openblas_thread_count_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert os.environ["OPENBLAS_NUM_THREADS"] == "4"


@pytest.mark.skipif(sys.platform != "linux", reason="counts threads in /proc")
def test_under_the_limit_numpy_starts_no_worker_thread() -> None:
    """The variables the CLI and the CDK app set (``photobooth.native_threads``) are the ones OpenBLAS reads."""
    count = "import os, numpy; print(len(os.listdir('/proc/self/task')))"
    assert fresh_python("-c", count, **ENVIRONMENT) == 1
