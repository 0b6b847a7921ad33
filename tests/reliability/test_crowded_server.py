"""The booth's port under a crowd (issue 18, items 4 and 5): half-sent requests and bursts of waiting calls.

Before: 1,500 connections that sent headers and part of a body held 1,504 threads, none was ever closed, and each
one dropped logged a traceback; 400 waiting ``POST /photo`` calls answered after a median 35.8 s (25 s promised),
printed ~2,000 "Connection pool is full" lines, and callers that hung up left their threads polling for the full
wait. The bursts here are smaller (the bounds they check are what matters; the full sizes were run by hand, see the
report in docs/decisions.md), loopback only, and bounded in time.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from photobooth.local.engine import LocalCloud
from photobooth.local.server import MAX_CONNECTIONS, MAX_WAITING_CALLS, REQUEST_SECONDS
from tests.reliability.conftest import needs_proc
from tests.support import portraits
from tests.support.server import ServedBooth, start_booth

pytestmark = pytest.mark.slow

HALF_OPEN = 300
WAITING_BURST = 80
# The server's own threads besides those serving connections (moto's, the workflow's, recovery's) vary with what
# runs; this is generous, and far below one thread per connection.
OTHER_THREADS = 60


@pytest.fixture(scope="module")
def booth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedBooth]:
    """The served booth, whose generate step waits while ``HOLD_FILE`` exists: the waiting calls below need a photo
    that is still PROCESSING for the whole burst, and a fast machine finished five themes within the burst's first
    1.3 s (CI, stop 25), so a photo's own pace cannot be relied on."""
    base = tmp_path_factory.mktemp("crowded")
    served = start_booth(
        base / "data", base / "serve.log", hold_function="photobooth-generate", hold_file=base / "hold-generate"
    )
    yield served
    served.stop()


# The themes of one photo the served booth paints at once (its Map's maxConcurrency).
GENERATE_AT_ONCE = LocalCloud.max_concurrency


@contextmanager
def photo_kept_processing(booth: ServedBooth) -> Iterator[dict]:
    """A visitor's photo with five themes whose generate step is held until the block ends."""
    hold = booth.data_dir.parent / "hold-generate"
    hold.touch()
    try:
        visitor = visitor_photo(booth, themes=["unicorn-meadow", "floating-city", "cosmos", "forest", "beach"])
        # As many themes as the booth paints at once are held (each held call sleeps in a loop): a test that counts
        # sleeping threads starts from all of them.
        booth.wait_for_output(f"holding photobooth-generate {visitor['requestId']}", count=GENERATE_AT_ONCE)
        yield visitor
    finally:
        hold.unlink(missing_ok=True)


def threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no Threads in /proc/PID/status")


def half_sent_request(port: int) -> socket.socket:
    """A connection that sends its headers and 10 of the 1,000 body bytes it announces, then nothing."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    connection.sendall(
        b"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b'Content-Length: 1000\r\n\r\n{"type": "'
    )
    return connection


def visitor_photo(booth, themes: list[str] | None = None, timeout: float = 30.0) -> dict:
    ticket: dict[str, object] = {"type": "photo", "filename": "visitor.jpg", "contentType": "image/jpeg"}
    if themes:
        ticket["themes"] = themes
    status, _, raw = booth.request("POST", "/upload", ticket, {"Content-Type": "application/json"}, timeout=timeout)
    assert status == 200, raw
    answer = json.loads(raw)
    put = booth.request(
        "PUT", "", portraits.jpeg_bytes(), {"Content-Type": "image/jpeg"}, url=answer["UploadURL"], timeout=timeout
    )
    assert put[0] == 200, put
    return answer


def test_a_half_sent_request_is_answered_408_at_its_deadline(booth):
    connection = half_sent_request(booth.port)
    started = time.monotonic()
    try:
        answer = connection.recv(200)
    finally:
        connection.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert time.monotonic() - started < REQUEST_SECONDS + 10


def test_half_sent_requests_hold_a_bounded_number_of_threads_while_a_visitors_photo_finishes(booth):
    needs_proc()
    log_before = len(booth.output())
    held: list[socket.socket] = []
    most_threads = 0
    try:
        for _ in range(HALF_OPEN):
            held.append(half_sent_request(booth.port))
            most_threads = max(most_threads, threads(booth.process.pid))
        visitor = visitor_photo(booth, themes=["forest"])
        final = booth.wait_for_terminal(visitor["requestId"], timeout=60)
        most_threads = max(most_threads, threads(booth.process.pid))
    finally:
        for connection in held:  # all at once, as the attack did
            connection.close()

    assert final["status"] == "SUCCEEDED", final
    assert most_threads <= MAX_CONNECTIONS + OTHER_THREADS, f"{most_threads} threads for {HALF_OPEN} connections"
    started = time.monotonic()
    status, _, page = booth.request("GET", "/")
    assert status == 200 and b"<html" in page.lower()
    assert time.monotonic() - started < 5, "the booth page waited behind the dropped connections"
    time.sleep(1)
    log = booth.output()[log_before:]
    assert "Traceback" not in log and "error serving" not in log, log[-3000:]
    assert log.count("dropped a client") <= 5, log[-3000:]


def _post_photo(booth, body: dict) -> tuple[int, float]:
    started = time.monotonic()
    status, _, raw = booth.request("POST", "/photo", body, {"Content-Type": "application/json"})
    assert status in {200, 202}, (status, raw)
    assert json.loads(raw)["statusUrl"]
    return status, time.monotonic() - started


def test_a_burst_of_waiting_calls_is_answered_within_the_wait_and_only_a_few_wait(booth):
    needs_proc()
    log_before = len(booth.output())
    most_threads = 0
    stop = threading.Event()

    def watch_threads() -> None:
        nonlocal most_threads
        while not stop.is_set():
            most_threads = max(most_threads, threads(booth.process.pid))
            time.sleep(0.05)

    with photo_kept_processing(booth) as visitor:
        body = {"bucket": visitor["Bucket"], "key": visitor["Key"], "wait": 20}
        watcher = threading.Thread(target=watch_threads, daemon=True)
        watcher.start()
        try:
            with ThreadPoolExecutor(max_workers=WAITING_BURST) as pool:
                answers = list(pool.map(lambda _: _post_photo(booth, body), range(WAITING_BURST)))
        finally:
            stop.set()
            watcher.join(timeout=5)

    answered_at_once = [seconds for status, seconds in answers if status == 202 and seconds < 10]
    assert len(answered_at_once) >= WAITING_BURST - MAX_WAITING_CALLS, sorted(answers)
    assert max(seconds for _, seconds in answers) < 20 + 10, sorted(answers)
    # Each connection's calls to the embedded AWS are served by a thread of moto's own port: twice the connections.
    assert most_threads <= 2 * MAX_CONNECTIONS + OTHER_THREADS, f"{most_threads} threads for {WAITING_BURST} calls"
    assert booth.wait_for_terminal(visitor["requestId"], timeout=90)["status"] == "SUCCEEDED"
    log = booth.output()[log_before:]
    assert "Connection pool is full" not in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]


def settled_sleeping_threads(pid: int, *, steady: float = 1.5, timeout: float = 15.0) -> int:
    """:func:`sleeping_threads` once it has not changed for ``steady`` seconds (the booth's own sleepers, such as
    the held themes and the recovery sweep, come and go around a baseline)."""
    value, since = sleeping_threads(pid), time.monotonic()
    deadline = since + timeout
    while time.monotonic() - since < steady and time.monotonic() < deadline:
        time.sleep(0.1)
        now = sleeping_threads(pid)
        if now != value:
            value, since = now, time.monotonic()
    return value


def sleeping_threads(pid: int) -> int:
    """Threads of the process asleep in ``time.sleep`` (the kernel's ``hrtimer_nanosleep``): a waiting ``POST
    /photo`` sleeps between its looks at the status record; the server's other threads wait on locks or sockets."""
    asleep = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            asleep += (task / "wchan").read_text().strip() == "hrtimer_nanosleep"
        except OSError:
            continue  # the thread ended meanwhile
    return asleep


def test_waits_end_when_their_callers_hang_up(booth):
    needs_proc()
    with photo_kept_processing(booth) as visitor:
        body = json.dumps({"bucket": visitor["Bucket"], "key": visitor["Key"], "wait": 25}).encode()
        asleep_before = settled_sleeping_threads(booth.process.pid)
        sent_at = time.monotonic()
        callers = []
        for _ in range(MAX_WAITING_CALLS):
            connection = socket.create_connection(("127.0.0.1", booth.port), timeout=30)
            connection.sendall(
                b"POST /photo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            callers.append(connection)
        waiting = 0
        deadline = time.monotonic() + 10
        while waiting < asleep_before + MAX_WAITING_CALLS // 2 and time.monotonic() < deadline:
            waiting = max(waiting, sleeping_threads(booth.process.pid))
            time.sleep(0.05)
        assert waiting >= asleep_before + MAX_WAITING_CALLS // 2, "the calls never waited: nothing to check"
        for connection in callers:
            connection.close()

        # The waits must end because their callers left, not because the photo finished (it is held meanwhile).
        # Each wait looks at its caller between polls, at most 2 s apart; on a busy machine it may take longer, but
        # the check ends well before the waits' own 25 s would end them (from when their calls were read).
        deadline = min(time.monotonic() + 10, sent_at + 20)
        while sleeping_threads(booth.process.pid) > asleep_before and time.monotonic() < deadline:
            time.sleep(0.1)
        ended = sleeping_threads(booth.process.pid) <= asleep_before
        status = booth.json("GET", f"/photo/{visitor['requestId']}")[1]["status"]  # type: ignore[index]
    assert ended, "waits went on for callers that had hung up"
    assert status == "PROCESSING", f"the photo finished ({status}) before the waits ended: this proves nothing"
    assert booth.wait_for_terminal(visitor["requestId"], timeout=90)["status"] == "SUCCEEDED"


# Issue 18's "Done when", at its full size and all at once: 1,500 half-sent requests held open, then a visitor's
# photo, then a burst of 400 waiting POST /photo calls on it. Before the fix, the half-sent requests alone held 1,504
# threads and their drop logged 1,900 lines (3 MB); the burst alone answered after a median 35.8 s, reset 9
# connections and printed ~2,000 "Connection pool is full" lines.
FULL_HALF_OPEN = 1_500
FULL_BURST = 400
# The console's lines while all of this happens: the visitor's request and its images, the booth's own notices and
# a few "dropped a client" lines (one every 10 s at most). 150 lines / 30 kB leave room for a slow machine and are
# an order of magnitude below one line per connection.
QUIET_LINES, QUIET_BYTES = 150, 30_000
# One Python process reads and answers all 400 calls in turn (~44 ms of CPU each when idle, several times that on a
# machine shared with other work): a caller at the back of the burst is read late. Callers wait as long as the booth
# page does (it sets no limit); the promised 20 s from the read is checked by the smaller burst above.
CALLER_PATIENCE = 180.0


@pytest.fixture
def fresh_booth(tmp_path: Path) -> Iterator[ServedBooth]:
    """A booth of its own, so that its whole log is this scenario's."""
    served = start_booth(tmp_path / "data", tmp_path / "serve.log")
    yield served
    served.stop()


def _waiting_call(booth: ServedBooth, body: dict) -> tuple[int | str, float]:
    """One caller's ``POST /photo``: its status, or the error that ended it (a reset, a timeout), and its seconds."""
    started = time.monotonic()
    try:
        status, _, raw = booth.request(
            "POST", "/photo", body, {"Content-Type": "application/json"}, timeout=CALLER_PATIENCE
        )
    except OSError as error:  # ConnectionResetError, a timeout, ...: what the issue saw for 9 of 400
        return f"{type(error).__name__}: {error}", time.monotonic() - started
    if status in {200, 202} and not json.loads(raw).get("statusUrl"):
        return f"{status} without a statusUrl", time.monotonic() - started
    return status, time.monotonic() - started


def test_done_when_half_sent_requests_and_a_burst_of_waiting_calls_at_once_while_a_visitors_photo_finishes(
    fresh_booth: ServedBooth,
) -> None:
    booth = fresh_booth
    needs_proc()
    log_before = len(booth.output().encode())
    threads_at_rest = threads(booth.process.pid)
    most_threads = threads_at_rest
    stop = threading.Event()

    def watch_threads() -> None:
        nonlocal most_threads
        while not stop.is_set():
            with contextlib.suppress(OSError):
                most_threads = max(most_threads, threads(booth.process.pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch_threads, daemon=True)
    watcher.start()
    held: list[socket.socket] = []
    try:
        with ThreadPoolExecutor(max_workers=32) as openers:  # as fast as a script on another machine opens them
            held = list(openers.map(lambda _: half_sent_request(booth.port), range(FULL_HALF_OPEN)))
        # The visitor's upload queues behind the half-sent requests the kernel accepted first; the booth page sets no
        # time limit on its calls, so neither does this visitor, but how long it took is reported.
        upload_started = time.monotonic()
        visitor = visitor_photo(booth, timeout=180)
        upload_seconds = time.monotonic() - upload_started
        body = {"bucket": visitor["Bucket"], "key": visitor["Key"], "wait": 20}
        with ThreadPoolExecutor(max_workers=FULL_BURST) as callers:
            answers = list(callers.map(lambda _: _waiting_call(booth, body), range(FULL_BURST)))
        final = booth.wait_for_terminal(visitor["requestId"], timeout=180)
    finally:
        for connection in held:  # all at once, as the attack did
            connection.close()
        time.sleep(1)
        stop.set()
        watcher.join(timeout=5)

    assert final["status"] == "SUCCEEDED", final
    times = sorted(seconds for _, seconds in answers)
    print(
        f"\nthe visitor's upload was answered after {upload_seconds:.1f} s; the {FULL_BURST} calls: median "
        f"{times[len(times) // 2]:.1f} s, slowest {times[-1]:.1f} s; {most_threads} threads at most "
        f"(at rest {threads_at_rest})"
    )
    failed = [answer for answer in answers if answer[0] not in {200, 202}]
    assert not failed, f"{len(failed)} of {FULL_BURST} calls failed: {failed[:5]}"
    # Connections on threads (64) and moto's port serving their AWS calls (as many again), plus the booth's own.
    assert most_threads <= 2 * MAX_CONNECTIONS + OTHER_THREADS, (
        f"{most_threads} threads (at rest {threads_at_rest}) for {FULL_HALF_OPEN} half-sent requests and "
        f"{FULL_BURST} waiting calls"
    )
    started = time.monotonic()
    status, _, page = booth.request("GET", "/")
    assert status == 200 and b"<html" in page.lower()
    assert time.monotonic() - started < 5, "the booth page waited behind the dropped connections"

    log = booth.output().encode()[log_before:].decode(errors="replace")
    assert "Traceback" not in log and "Connection pool is full" not in log, log[-3000:]
    assert len(log.splitlines()) <= QUIET_LINES and len(log.encode()) <= QUIET_BYTES, (
        f"{len(log.splitlines())} lines, {len(log.encode())} bytes:\n{log[-3000:]}"
    )
