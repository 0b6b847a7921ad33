"""Each log line names the request its own invocation works on, even when handlers run in threads of one process
(``photobooth serve`` runs the workflow's steps that way; a Lambda sandbox runs one at a time)."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator

import pytest

from photobooth.observability import label_log_lines, logger


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """What the Powertools logger writes (its handler keeps the stream it was built with, so capsys misses it)."""
    buffer = io.StringIO()
    previous = logger.registered_handler.setStream(buffer)  # type: ignore[attr-defined]
    yield buffer
    logger.registered_handler.setStream(previous)  # type: ignore[attr-defined]


def _lines(output: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in output.getvalue().splitlines()]


def test_concurrent_invocations_label_only_their_own_lines(output):
    labelled = threading.Barrier(4)

    def invocation(request_id: str) -> None:
        label_log_lines(requestId=request_id)
        labelled.wait(timeout=10)  # every thread has labelled before any logs
        logger.warning("step failed")

    threads = [threading.Thread(target=invocation, args=(f"request-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(line["requestId"] for line in _lines(output)) == [f"request-{i}" for i in range(4)]


def test_a_thread_s_next_invocation_does_not_inherit_the_last_one_s_labels(output):
    label_log_lines(requestId="first", theme="forest")
    label_log_lines(requestId="second")
    logger.warning("step failed")

    (line,) = _lines(output)
    assert line["requestId"] == "second" and "theme" not in line
