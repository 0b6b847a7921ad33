"""Work the embedded AWS does on threads of its own, and the ends of its runs.

Event deliveries and asynchronous invocations run on threads, as they do on AWS; :func:`settle` waits for them
(and for moto's own run threads). An execution's end is counted and announced here by the patched interpreter
(:mod:`photobooth.local.moto_patches`): ``photobooth run`` waits for ends instead of polling, and
``photobooth serve``'s recovery learns of runs that died, as the ``execution_ended`` function does on AWS.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("photobooth.local")

_work_threads: list[threading.Thread] = []


def in_background(target: Callable[..., object], *args: object) -> None:
    """Event deliveries and asynchronous invocations run on threads of their own, as on AWS; ``settle`` waits."""
    thread = threading.Thread(target=target, args=args, daemon=True)
    _work_threads.append(thread)
    thread.start()


def forget_finished_work() -> list[threading.Thread]:
    """Drop finished threads from the lists that track work (moto keeps every thread it ever started, so its list
    would grow with each photo on a long-running booth). Returns the threads still at work."""
    from moto.stepfunctions.parser.utils import TMP_THREADS

    for pool in (TMP_THREADS, _work_threads):
        for thread in [t for t in pool if not t.is_alive()]:
            pool.remove(thread)  # one by one: threads started meanwhile are appended, never lost
    return [t for pool in (TMP_THREADS, _work_threads) for t in pool if t.is_alive()]


def settle(timeout: float) -> list[str]:
    """Wait up to ``timeout`` seconds for every run, step, event delivery and asynchronous invocation to end.
    Returns the names of the threads still at work."""
    deadline = time.monotonic() + timeout
    while True:
        alive = forget_finished_work()
        if not alive or time.monotonic() >= deadline:
            return [t.name for t in alive]
        alive[0].join(timeout=max(0.0, min(0.5, deadline - time.monotonic())))


ENDED_WITHOUT_RESULT = ("FAILED", "TIMED_OUT", "ABORTED")
_listeners: list[Callable[[dict], object]] = []


def on_execution_ended(listener: Callable[[dict], object]) -> Callable[[], None]:
    """Call ``listener`` whenever an execution ends FAILED, TIMED_OUT or ABORTED, with the ``detail`` EventBridge's
    "Step Functions Execution Status Change" event carries on AWS (``executionArn``, ``status``, ``input``).
    It runs on the execution's thread. Returns the function that removes the listener."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


_an_execution_ended = threading.Condition()
_executions_ended = 0


def executions_ended() -> int:
    """How many executions have ended in this process: pass it to :func:`wait_for_an_execution_end`."""
    with _an_execution_ended:
        return _executions_ended


def wait_for_an_execution_end(seen: int, timeout: float) -> None:
    """Block until an execution ends after :func:`executions_ended` returned ``seen``, or ``timeout`` seconds
    pass. ``photobooth run`` waits here between looks at its record instead of polling DynamoDB: each poll took
    CPU from the photo being made. Counting ends means one that came between the look and the wait is not missed.
    """
    with _an_execution_ended:
        _an_execution_ended.wait_for(lambda: _executions_ended != seen, timeout)


def announce_end(execution: Any) -> None:
    """The patched interpreter's call when one of moto's executions ends, whatever its status."""
    global _executions_ended
    try:
        _tell_listeners(execution)
    finally:
        with _an_execution_ended:
            _executions_ended += 1
            _an_execution_ended.notify_all()


def _tell_listeners(execution: Any) -> None:
    status = getattr(execution.exec_status, "value", None)
    if status not in ENDED_WITHOUT_RESULT:
        return
    detail = {
        "executionArn": execution.exec_arn,
        "stateMachineArn": execution.state_machine_arn,
        "status": status,
        "input": json.dumps(execution.input_data),
    }
    for listener in list(_listeners):
        try:
            listener(detail)
        except Exception:
            log.exception("a listener for ended executions failed")
