"""Parallel Map iterations evaluate the same ASL components at once; each must find its retry state again.

moto names a component's slot in a run's heap (a retrier's attempt count, its back-off) by a random key made on
first use, without a lock. Two iterations reaching a retrier together could each make one; the iteration whose key
was overwritten then found no attempt count and retried once more than MaxAttempts allows (CI saw a theme's image
asked for three times under "MaxAttempts": 1)."""

from __future__ import annotations

import sys
import threading

from moto.stepfunctions.parser.asl.component.common.retry.max_attempts_decl import MaxAttemptsDecl

from photobooth.local.moto_patches import install_patches

THREADS = 8


def _reach(component: MaxAttemptsDecl, start: threading.Barrier, seen: list[str]) -> None:
    start.wait(timeout=10)
    seen.append(component.heap_key)


def test_threads_reaching_a_component_together_all_see_one_heap_key():
    install_patches()
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(200):
            component = MaxAttemptsDecl(attempts=1)
            start = threading.Barrier(THREADS)
            seen: list[str] = []

            threads = [threading.Thread(target=_reach, args=(component, start, seen)) for _ in range(THREADS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert len(set(seen)) == 1, seen
    finally:
        sys.setswitchinterval(switch_interval)
