"""Workloads that ``bench.end_to_end`` runs in child processes (``python -m bench.workloads KIND ...``), so every
figure starts from a fresh interpreter and nothing the parent imported or cached helps it.

Each prints one JSON object on its last line of stdout. Nothing of ``photobooth`` is imported at module level:
the import workload must start from a bare interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def booth_photo(folder: Path, name: str = "visitor.jpg") -> Path:
    """A phone-sized JPEG of one person (scikit-image's public-domain astronaut, scaled to 1536 x 1536)."""
    from PIL import Image
    from skimage import data

    path = folder / name
    Image.fromarray(data.astronaut()).resize((1536, 1536), Image.Resampling.LANCZOS).save(path, quality=90)
    return path


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def warm_photos(themes: int, photos: int) -> dict:
    """Seconds per photo, upload to last image, after one warm-up photo in the same process: what a visitor
    waits at a booth that is already running. Uses ``photobooth run``'s own code path (in-process moto)."""
    from photobooth.native_threads import limit_native_threads

    limit_native_threads()  # as the CLI does, before numpy is imported
    from moto import mock_aws

    from photobooth import wiring
    from photobooth.config import DEFAULT_THEMES, EXTRA_THEMES
    from photobooth.local.batch import process
    from photobooth.local.engine import MOTO_CONFIG, LocalCloud, offline_environment, warm_up_in_background
    from photobooth.local.memory import limit_malloc_arenas

    limit_malloc_arenas()  # as the CLI does, unless MALLOC_ARENA_MAX is set
    os.environ.update(offline_environment())
    chosen = [theme.name for theme in DEFAULT_THEMES + EXTRA_THEMES][:themes]
    with tempfile.TemporaryDirectory() as folder, mock_aws(config=MOTO_CONFIG):
        photo = booth_photo(Path(folder))
        cloud = LocalCloud()
        cloud.provision()
        os.environ.update(cloud.environment())
        wiring.reset()
        warm_up_in_background().join()  # as `photobooth run` and `serve` do (handlers loaded, start-up heap frozen)
        seconds, cpu = [], []
        for index in range(photos + 1):
            started, started_cpu = time.perf_counter(), time.process_time()
            outcome = process(photo, Path(folder) / "out", cloud, chosen)
            if outcome.status != "SUCCEEDED" or len(outcome.results) != themes:
                raise RuntimeError(f"photo {index}: {outcome.status} {outcome.error_code} {outcome.message}")
            seconds.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
    return {"seconds": seconds[1:], "cpu": cpu[1:], "warm_up": seconds[0]}


def import_handler(function: str) -> dict:
    """Seconds to import one handler module, as Lambda does at a cold start (run with ``-c`` semantics)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "functions" / function))
    started, started_cpu = time.perf_counter(), time.process_time()
    __import__("handler")
    return {"seconds": time.perf_counter() - started, "cpu": time.process_time() - started_cpu}


def import_libraries(kind: str) -> dict:
    """Seconds to import only the libraries a handler of ``kind`` ("api" or "workflow") stands on, and build what
    every handler builds at import (Powertools' logger, metrics and tracer, a resolver or the event parser, one
    pydantic model), with none of photobooth's own code: the floor under the handler figures."""
    started, started_cpu = time.perf_counter(), time.process_time()
    import boto3  # noqa: F401
    from aws_lambda_powertools import Logger, Metrics, Tracer
    from pydantic import BaseModel

    Logger(service="bench"), Metrics(namespace="bench", service="bench")
    Tracer(service="bench", patch_modules=("botocore",))

    class Request(BaseModel):
        request_id: str

    if kind == "api":
        from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

        APIGatewayHttpResolver()
    else:
        import numpy  # noqa: F401
        from aws_lambda_powertools.utilities.parser import event_parser  # noqa: F401
        from PIL import Image  # noqa: F401
    return {"seconds": time.perf_counter() - started, "cpu": time.process_time() - started_cpu}


def main() -> int:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="kind", required=True)
    warm = commands.add_parser("warm")
    warm.add_argument("--themes", type=int, default=3)
    warm.add_argument("--photos", type=int, default=3)
    handler = commands.add_parser("import")
    handler.add_argument("function")
    libraries = commands.add_parser("import-libraries")
    libraries.add_argument("handlers", choices=("api", "workflow"))
    args = parser.parse_args()
    if args.kind == "warm":
        result = warm_photos(args.themes, args.photos)
    elif args.kind == "import":
        result = import_handler(args.function)
    else:
        result = import_libraries(args.handlers)
    result["rss_mib"] = _rss_mib()
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
