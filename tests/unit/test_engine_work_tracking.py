"""The embedded engine knows which work is still running (tests wait for it; the booth forgets what ended)."""

from __future__ import annotations

import threading

from moto.stepfunctions.parser.utils import TMP_THREADS

from photobooth.local import runs


def test_finished_threads_are_forgotten_and_running_ones_kept():
    release = threading.Event()
    done = threading.Thread(target=lambda: None)
    done.start()
    done.join()
    TMP_THREADS.append(done)  # moto appends every interpreter thread here and never removes one
    runs.in_background(release.wait, 10)
    try:
        alive = runs.forget_finished_work()

        assert done not in TMP_THREADS
        assert len(alive) == 1 and alive[0] in runs._work_threads
        assert runs.settle(timeout=0.2) == [alive[0].name], "settle names the work that outlived its wait"
    finally:
        release.set()
    assert runs.settle(timeout=5) == []
    assert runs._work_threads == []
