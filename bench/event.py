"""``python -m bench event``: a simulated event on the local booth (issue 20, item 4).

    python -m bench event --visitors-per-minute V --quota-rpm Q --minutes M [--themes N] [--seed S] [--time-scale K]

The real ``photobooth serve`` (the same workflow definition and handlers as on AWS) runs with bench.standin's image
model: the real Bedrock adapter in front of a stand-in that allows Q calls a minute and answers the rest
``ThrottlingException``, and takes a varying time per call (log-normal around 6 s, as a Stable Image call). The
booth's pace is set as an operator would: 80 % of the quota. Visitors arrive as a Poisson process of groups (one to
three people at once: the bursts) at V visitors a minute for M minutes, each uploads a photo with N themes, and is
followed until its request ends. Before the first visitor, one test photo (not counted) lets the booth learn its own
times, as staff would take one before opening.

Time scale: the event runs K times faster than real time. Every event duration is divided by K (arrivals, the
model's call time, the quota's minute, and so the pace); the pre-steps (normalise, faces, cut-out) run on this
machine at their own speed. Results are given in event seconds (wall seconds x K). K = 6 keeps M ≤ 5 within five
minutes on two cores at 3x the quota's capacity (the queue the run leaves takes longest to drain).

It prints one JSON line: ``visitors``, ``succeeded``, ``failed``, ``failed_by_code``, ``lost`` (never ended),
``p50_seconds``/``p95_seconds`` (upload to pictures), ``eta_error_p50``/``eta_error_p95`` (|estimated - actual| /
actual for the wait the ``POST /upload`` answer showed, visitors who arrived after the first minute; the first ones
meet a booth that has not learned its times yet), ``model_calls_over_quota``, and the run's parameters.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bench import standin

ROOT = Path(__file__).resolve().parents[1]
PACE_SHARE = 0.8  # the booth's pace: 80 % of the quota, as the README tells operators
MODEL_CALL_SECONDS = 6.0  # event seconds of one stand-in model call (median)
MEAN_GROUP = 2.0  # visitors arriving together: 1, 2 or 3
POLL_SECONDS = 0.25  # wall seconds between a visitor's status reads
DRAIN_LIMIT_EVENT_MINUTES = 60  # a visitor not finished this long after the last arrival is lost


@dataclass(frozen=True)
class Plan:
    visitors_per_minute: float
    quota_rpm: int
    minutes: float
    themes: int
    seed: int
    time_scale: float

    @property
    def pace_per_minute(self) -> float:
        """Model calls a minute the booth is set to, in event time."""
        return PACE_SHARE * self.quota_rpm

    @property
    def capacity_visitors_per_minute(self) -> float:
        """Visitors a minute the pace serves with ``themes`` calls each."""
        return self.pace_per_minute / self.themes

    def booth_environment(self, calls_log: Path) -> dict[str, str]:
        """The served booth's settings in wall time: the pace and the stand-in's quota window K times faster."""
        return {
            "PHOTOBOOTH_MODEL_CALLS_PER_MINUTE": f"{self.pace_per_minute * self.time_scale:g}",
            **standin.environment(
                quota=self.quota_rpm,
                window_seconds=60.0 / self.time_scale,
                call_seconds=MODEL_CALL_SECONDS / self.time_scale,
                seed=self.seed,
                log_path=calls_log,
            ),
        }


def parse(argv: list[str]) -> Plan:
    parser = argparse.ArgumentParser(prog="python -m bench event", description=__doc__.split("\n\n")[0])
    parser.add_argument("--visitors-per-minute", type=float, required=True)
    parser.add_argument("--quota-rpm", type=int, required=True, help="the image model's requests per minute")
    parser.add_argument("--minutes", type=float, required=True, help="how long visitors keep arriving (≤ 5)")
    parser.add_argument("--themes", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-scale", type=float, default=6.0, help="event seconds per wall second (default 6)")
    args = parser.parse_args(argv)
    for name in ("visitors_per_minute", "quota_rpm", "minutes", "themes", "time_scale"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if args.themes > 5:
        parser.error("--themes: the booth has five themes")
    return Plan(
        visitors_per_minute=args.visitors_per_minute,
        quota_rpm=args.quota_rpm,
        minutes=args.minutes,
        themes=args.themes,
        seed=args.seed,
        time_scale=args.time_scale,
    )


def arrivals(visitors_per_minute: float, minutes: float, seed: int) -> list[float]:
    """Event seconds at which each visitor arrives: groups of one to three (mean two) as a Poisson process, so
    the visitors average ``visitors_per_minute`` and come in bursts."""
    chance = random.Random(seed)
    groups_per_second = visitors_per_minute / MEAN_GROUP / 60.0
    times: list[float] = []
    at = chance.expovariate(groups_per_second)
    while at < minutes * 60.0:
        times.extend([at] * chance.choice((1, 2, 3)))
        at += chance.expovariate(groups_per_second)
    return times


@dataclass
class Visitor:
    arrived: float  # event seconds since the start
    request_id: str | None = None
    uploaded: float | None = None  # wall epoch of the POST /upload answer
    promised: float | None = None  # wall epoch it said (expectedReadyAt)
    ended: float | None = None  # wall epoch the status read first showed the end
    status: str | None = None
    code: str | None = None


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (``share`` in 0..1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def eta_error(visitor: Visitor) -> float | None:
    if None in (visitor.uploaded, visitor.promised, visitor.ended):
        return None
    assert visitor.uploaded is not None and visitor.promised is not None and visitor.ended is not None
    actual = visitor.ended - visitor.uploaded
    return abs((visitor.promised - visitor.uploaded) - actual) / actual if actual > 0 else None


def summarise(plan: Plan, visitors: list[Visitor], calls: int, throttled: int, wall_seconds: float) -> dict:
    ended = [v for v in visitors if v.status is not None]
    failed = [v for v in ended if v.status != "SUCCEEDED"]
    by_code: dict[str, int] = {}
    for visitor in failed:
        code = visitor.code or visitor.status or "UNKNOWN"
        by_code[code] = by_code.get(code, 0) + 1
    waits = [(v.ended - v.uploaded) * plan.time_scale for v in ended if v.ended and v.uploaded]
    errors = [e for v in visitors if v.arrived >= 60.0 and (e := eta_error(v)) is not None]

    def rounded(value: float | None, digits: int) -> float | None:
        return None if value is None else round(value, digits)

    return {
        "visitors": len(visitors),
        "succeeded": len(ended) - len(failed),
        "failed": len(failed),
        "failed_by_code": by_code,
        "lost": len(visitors) - len(ended),
        "p50_seconds": rounded(percentile(waits, 0.5), 1),
        "p95_seconds": rounded(percentile(waits, 0.95), 1),
        "eta_error_p50": rounded(percentile(errors, 0.5), 3),
        "eta_error_p95": rounded(percentile(errors, 0.95), 3),
        "model_calls_over_quota": throttled,
        "model_calls": calls,
        "visitors_per_minute": plan.visitors_per_minute,
        "quota_rpm": plan.quota_rpm,
        "capacity_visitors_per_minute": round(plan.capacity_visitors_per_minute, 3),
        "minutes": plan.minutes,
        "themes": plan.themes,
        "seed": plan.seed,
        "time_scale": plan.time_scale,
        "wall_seconds": round(wall_seconds, 1),
    }


# --- the run ----------------------------------------------------------------------------------------------------

_SERVE = (
    "import sys\n"
    "from bench import standin\n"
    "standin.install_from_env()\n"
    "from photobooth.local.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def _call(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            raw = answer.read()
            return answer.status, (json.loads(raw) if raw.strip().startswith(b"{") else {})
    except urllib.error.HTTPError as error:
        return error.code, {}


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _photo() -> bytes:
    """scikit-image's public-domain astronaut at a phone photo's size."""
    import io

    from PIL import Image
    from skimage import data

    out = io.BytesIO()
    Image.fromarray(data.astronaut()).resize((1024, 1024), Image.Resampling.LANCZOS).save(out, "JPEG", quality=88)
    return out.getvalue()


def _follow(base: str, visitor: Visitor, themes: list[str], photo: bytes, deadline: list[float]) -> None:
    body = json.dumps({"type": "photo", "filename": "visitor.jpg", "contentType": "image/jpeg", "themes": themes})
    status, answer = _call(base + "/upload", "POST", body.encode(), {"Content-Type": "application/json"})
    visitor.uploaded = time.time()
    if status != 200:
        visitor.status, visitor.code = "FAILED", f"UPLOAD_{status}"
        return
    visitor.request_id = answer["requestId"]
    if "expectedReadyAt" in answer:
        visitor.promised = _epoch(answer["expectedReadyAt"])
    put = urllib.request.Request(
        answer["UploadURL"], data=photo, method="PUT", headers={"Content-Type": "image/jpeg"}
    )
    with urllib.request.urlopen(put, timeout=60):
        pass
    while time.time() < deadline[0]:
        status, read = _call(f"{base}/photo/{visitor.request_id}")
        if status == 200 and read.get("status") in {"SUCCEEDED", "PARTIAL", "FAILED"}:
            visitor.ended, visitor.status = time.time(), read["status"]
            visitor.code = (read.get("error") or {}).get("code") if read["status"] == "FAILED" else None
            return
        time.sleep(POLL_SECONDS)


def run(plan: Plan) -> dict:
    from photobooth.config import DEFAULT_THEMES, EXTRA_THEMES
    from photobooth.local.server import free_port

    themes = [t.name for t in (*DEFAULT_THEMES, *EXTRA_THEMES)][: plan.themes]
    schedule = arrivals(plan.visitors_per_minute, plan.minutes, plan.seed)
    photo = _photo()
    with tempfile.TemporaryDirectory(prefix="bench-event-") as folder:
        calls_log = Path(folder) / "model-calls.jsonl"
        port = free_port()
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")]),
            **plan.booth_environment(calls_log),
        }
        with (Path(folder) / "serve.log").open("wb") as log:
            server = subprocess.Popen(
                [sys.executable, "-c", _SERVE, "serve", "--port", str(port), "--data", f"{folder}/data"],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
            try:
                base = f"http://127.0.0.1:{port}"
                _wait_until_up(base, server)
                _warm_up(base, themes, photo)
                visitors, wall = _crowd(base, plan, schedule, themes, photo)
            finally:
                server.terminate()
                server.wait(timeout=30)
        calls, throttled = standin.calls_over_quota(calls_log)
    return summarise(plan, visitors, calls, throttled, wall)


def _wait_until_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"photobooth serve exited with {server.returncode}")
        try:
            if _call(base + "/themes")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("photobooth serve did not answer within 120 s")


def _warm_up(base: str, themes: list[str], photo: bytes) -> None:
    """One test photo before the doors open, as staff take one: the booth learns its own times from it (until then
    its estimates use defaults made for AWS, which the K-times-faster booth does not match). Not counted."""
    test_photo = Visitor(arrived=-1.0)
    _follow(base, test_photo, themes, photo, [time.time() + 120])
    if test_photo.status != "SUCCEEDED":
        raise RuntimeError(f"the test photo before the event ended {test_photo.status} {test_photo.code}")


def _crowd(
    base: str, plan: Plan, schedule: list[float], themes: list[str], photo: bytes
) -> tuple[list[Visitor], float]:
    visitors = [Visitor(arrived=at) for at in schedule]
    last_arrival = (schedule[-1] if schedule else 0.0) / plan.time_scale
    started = time.time()
    deadline = [started + last_arrival + DRAIN_LIMIT_EVENT_MINUTES * 60.0 / plan.time_scale]
    threads = []
    for visitor in visitors:
        delay = started + visitor.arrived / plan.time_scale - time.time()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=_follow, args=(base, visitor, themes, photo, deadline), daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(timeout=max(0.0, deadline[0] - time.time()) + 30)
    return visitors, time.time() - started


def main(argv: list[str]) -> int:
    print(json.dumps(run(parse(argv))), flush=True)
    return 0
