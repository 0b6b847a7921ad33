"""Starts ``photobooth serve`` as a real process on a free loopback port, for tests that speak HTTP to it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

from photobooth.local.server import free_port


@dataclass
class ServedBooth:
    process: subprocess.Popen
    port: int
    data_dir: Path
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        body: object | None = None,
        headers: dict | None = None,
        url: str | None = None,
        timeout: float = 30.0,
    ) -> tuple[int, Message, bytes]:
        data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(url or self.url + path, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def json(self, method: str, path: str, body: object | None = None) -> tuple[int, object]:
        status, _, raw = self.request(method, path, body, {"Content-Type": "application/json"})
        return status, (json.loads(raw) if raw else None)

    def wait_for_terminal(self, request_id: str, timeout: float = 90.0) -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            status, last = self.json("GET", f"/photo/{request_id}")
            if status == 200 and last["status"] in {"SUCCEEDED", "PARTIAL", "FAILED"}:  # type: ignore[index]
                return last  # type: ignore[return-value]
            time.sleep(0.25)
        raise AssertionError(f"{request_id} not finished in {timeout}s: {last}\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_output(self, text: str, timeout: float = 60.0, count: int = 1) -> str:
        """The serve log once it holds ``text`` ``count`` times (the booth prints each change of a request's status
        as it is written, e.g. ``<requestId> SUCCEEDED in 1.2s``): a test that reads the log for a request waits
        for it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.output()
            if log.count(text) >= count:
                return log
            time.sleep(0.2)
        raise AssertionError(f"{text!r} not {count}x in the serve log within {timeout}s:\n{self.output()[-3000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


# ``photobooth serve`` with two hooks a test may ask for; everything else is the real command.
# - report_execution_ends: it also prints ``execution ended <requestId> <status>`` when each execution ends, so a
#   test that must know a run has ended (one that changes nothing visible, such as a repeated upload event that the
#   workflow ignores) waits for that line instead of for time. It wraps the engine's own end-of-run call
#   (photobooth.local.runs.announce_end) before the engine imports it.
# - hold_function: that workflow function (e.g. ``photobooth-generate``) prints ``holding <function> <requestId>``
#   and never returns, so a test can crash the booth at a moment it knows is mid-request rather than race the photo.
#   With hold_file as well, it holds only while that file exists (checked when the function is called and then
#   every 0.1 s), so a test can keep one photo PROCESSING for as long as it needs and then let it finish.
# - an image model with a quota (bench.standin), when ``env`` holds its PHOTOBOOTH_STANDIN_* variables.
_SERVE_WITH_HOOKS = """
import os
import sys
import time

from photobooth.local import handlers, runs

REPORT_ENDS, HOLD, HOLD_FILE = {report_ends!r}, {hold!r}, {hold_file!r}

if "PHOTOBOOTH_STANDIN_QUOTA" in os.environ:
    from bench import standin

    standin.install_from_env()

if REPORT_ENDS:
    _announce_end = runs.announce_end

    def announce_end(execution):
        _announce_end(execution)
        key = str(((execution.input_data or {{}}).get("detail") or {{}}).get("object", {{}}).get("key", ""))
        request_id = key.split("/")[1] if key.count("/") >= 2 else "?"
        print(f"execution ended {{request_id}} {{execution.exec_status.value}}", flush=True)

    runs.announce_end = announce_end

if HOLD:
    _invoke_function = handlers.invoke_function

    def held():
        return not HOLD_FILE or os.path.exists(HOLD_FILE)

    def invoke_function(function_name, payload):
        # The generate function's booking of model slots ({{"action": "book"}}) goes through: a hold is of the step
        # that does the work (an image), not of the queue.
        if (
            function_name.rsplit(":", 1)[-1] == HOLD
            and payload.get("action") != "book"
            and held()
        ):
            print(f"holding {{HOLD}} {{payload.get('requestId', '?')}}", flush=True)
            while held():  # until the test kills the process or lets go
                time.sleep(0.1)
            print(f"released {{HOLD}} {{payload.get('requestId', '?')}}", flush=True)
        return _invoke_function(function_name, payload)

    handlers.invoke_function = invoke_function

from photobooth.local.cli import main

sys.exit(main(sys.argv[1:]))
"""


def start_booth(
    data_dir: Path,
    log_path: Path,
    port: int | None = None,
    timeout: float = 60.0,
    extra_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    report_execution_ends: bool = False,
    hold_function: str | None = None,
    hold_file: Path | None = None,
) -> ServedBooth:
    """``env`` is added to this process's environment (PHOTOBOOTH_* settings of the served booth)."""
    port = port or free_port()
    log = log_path.open("ab")
    command = ["-m", "photobooth.local.cli"]
    if report_execution_ends or hold_function or "PHOTOBOOTH_STANDIN_QUOTA" in (env or {}):
        command = [
            "-c",
            _SERVE_WITH_HOOKS.format(
                report_ends=report_execution_ends, hold=hold_function, hold_file=str(hold_file) if hold_file else None
            ),
        ]
    process = subprocess.Popen(
        [
            sys.executable,
            *command,
            "serve",
            "--port",
            str(port),
            "--data",
            str(data_dir),
            *extra_args,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    booth = ServedBooth(process, port, data_dir, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"photobooth serve exited with {process.returncode}:\n{booth.output()}")
        try:
            if booth.request("GET", "/themes")[0] == 200:
                return booth
        except OSError:
            pass
        time.sleep(0.2)
    booth.stop()
    raise AssertionError(f"photobooth serve did not answer within {timeout}s:\n{booth.output()}")
