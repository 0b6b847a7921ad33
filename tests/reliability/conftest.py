"""A real ``photobooth serve`` process for the reliability tests: they attack it over HTTP and read its log."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import ServedBooth, start_booth


@pytest.fixture(scope="module")
def booth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedBooth]:
    base = tmp_path_factory.mktemp("booth")
    served = start_booth(base / "data", base / "serve.log")
    yield served
    served.stop()


def upload(booth: ServedBooth, filename: str = "visitor.jpg", content_type: str = "image/jpeg", **extra) -> dict:
    status, answer = booth.json(
        "POST", "/upload", {"type": "photo", "filename": filename, "contentType": content_type, **extra}
    )
    assert status == 200, answer
    return answer  # type: ignore[return-value]


def listening_ports(pid: int) -> set[int]:
    """Loopback TCP ports a process listens on, from /proc (Linux): its socket inodes matched to the kernel's
    table of listening sockets."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        match = re.fullmatch(r"socket:\[(\d+)\]", target)
        if match:
            inodes.add(match.group(1))
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A = LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def memory_kib(pid: int, field: str) -> int:
    """``VmRSS`` (resident now) or ``VmHWM`` (peak resident) of a process, in KiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def needs_proc() -> None:
    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs Linux /proc")
