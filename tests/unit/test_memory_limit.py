"""The CLI caps glibc's malloc arenas unless the operator chose a value."""

from __future__ import annotations

import sys

import pytest

from photobooth.local.memory import limit_malloc_arenas


@pytest.mark.skipif(sys.platform != "linux", reason="glibc only")
def test_the_limit_is_applied_through_mallopt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas() is True


def test_an_explicit_malloc_arena_max_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    assert limit_malloc_arenas() is False
