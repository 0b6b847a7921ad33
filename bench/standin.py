"""A stand-in for Bedrock's image model with a per-minute quota, for ``python -m bench event`` and the tests that
crowd the served booth (issue 20).

It is a bedrock-runtime client (``invoke_model``) handed to the real :class:`BedrockImageGenerator`, so the booth's
own Bedrock code runs: past ``quota`` calls in any window of ``window_seconds`` it answers ``ThrottlingException``
with HTTP 429 and no Retry-After, as Bedrock does (FACTS.md), and otherwise takes a varying time (log-normal around
``call_seconds``) and answers Stable Image Core's JSON with a small PNG. Every call is appended to ``log_path`` as a
JSON line ``{"t": epoch, "ok": bool}`` so another process can count the calls over the quota.

``install_from_env()`` puts it in place of the configured generator in a ``photobooth serve`` process, from
``PHOTOBOOTH_STANDIN_*`` variables (test and bench only; the product has no such setting).
"""

from __future__ import annotations

import base64
import collections
import io
import json
import math
import os
import random
import threading
import time
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

MODEL_ID = "stability.stable-image-core-v1:1"


class QuotaModel:
    def __init__(
        self,
        *,
        quota: int,
        window_seconds: float = 60.0,
        call_seconds: float = 4.0,
        spread: float = 0.25,
        seed: int = 0,
        log_path: Path | None = None,
    ) -> None:
        self.quota = quota
        self.window_seconds = window_seconds
        self.call_seconds = call_seconds
        self.spread = spread
        self.log_path = log_path
        self._random = random.Random(seed)
        self._accepted: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()
        self.calls = 0
        self.throttled = 0

    def invoke_model(self, *, modelId: str, body: bytes, **_: Any) -> dict:
        now = time.time()
        with self._lock:
            self.calls += 1
            while self._accepted and self._accepted[0] <= now - self.window_seconds:
                self._accepted.popleft()
            accepted = len(self._accepted) < self.quota
            if accepted:
                self._accepted.append(now)
            else:
                self.throttled += 1
            seconds = self.call_seconds * math.exp(self._random.gauss(0.0, self.spread))
            self._log(now, accepted)
        if not accepted:
            raise ClientError(
                {
                    "Error": {
                        "Code": "ThrottlingException",
                        "Message": "Too many requests, please wait before trying again.",
                    },
                    "ResponseMetadata": {"HTTPStatusCode": 429, "HTTPHeaders": {}},
                },
                "InvokeModel",
            )
        time.sleep(seconds)
        request = json.loads(body)
        return {"body": io.BytesIO(json.dumps(_core_answer(int(request.get("seed", 0)))).encode())}

    def _log(self, when: float, accepted: bool) -> None:
        if self.log_path is None:
            return
        with self.log_path.open("a") as log:
            log.write(json.dumps({"t": when, "ok": accepted}) + "\n")


def _core_answer(seed: int) -> dict:
    from PIL import Image

    shade = random.Random(seed)
    image = Image.new("RGB", (128, 128), tuple(shade.randrange(256) for _ in range(3)))
    png = io.BytesIO()
    image.save(png, format="PNG")
    return {"seeds": [seed], "finish_reasons": [None], "images": [base64.b64encode(png.getvalue()).decode()]}


def calls_over_quota(log_path: Path) -> tuple[int, int]:
    """(calls, calls answered ThrottlingException) from a model's log."""
    if not log_path.exists():
        return 0, 0
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    return len(lines), sum(not line["ok"] for line in lines)


def environment(
    *, quota: int, window_seconds: float, call_seconds: float, seed: int, log_path: Path
) -> dict[str, str]:
    """The variables :func:`install_from_env` reads."""
    return {
        "PHOTOBOOTH_STANDIN_QUOTA": str(quota),
        "PHOTOBOOTH_STANDIN_WINDOW_SECONDS": str(window_seconds),
        "PHOTOBOOTH_STANDIN_CALL_SECONDS": str(call_seconds),
        "PHOTOBOOTH_STANDIN_SEED": str(seed),
        "PHOTOBOOTH_STANDIN_LOG": str(log_path),
    }


def install_from_env() -> QuotaModel | None:
    """In a ``photobooth serve`` process: the generate step paints with the stand-in model (through the real
    Bedrock adapter) instead of the offline scenes."""
    if "PHOTOBOOTH_STANDIN_QUOTA" not in os.environ:
        return None
    from photobooth import wiring
    from photobooth.aws.bedrock import BedrockImageGenerator

    model = QuotaModel(
        quota=int(os.environ["PHOTOBOOTH_STANDIN_QUOTA"]),
        window_seconds=float(os.environ.get("PHOTOBOOTH_STANDIN_WINDOW_SECONDS", "60")),
        call_seconds=float(os.environ.get("PHOTOBOOTH_STANDIN_CALL_SECONDS", "4")),
        seed=int(os.environ.get("PHOTOBOOTH_STANDIN_SEED", "0")),
        log_path=Path(os.environ["PHOTOBOOTH_STANDIN_LOG"]),
    )
    generator = BedrockImageGenerator((MODEL_ID,), client=model)
    wiring.image_generator = lambda: generator  # type: ignore[assignment,method-assign]
    return model
