"""The cold start a visitor meets on AWS, as a model whose inputs are printed (issue 21).

A visitor's first photo after a quiet spell meets one cold start per function on its path, one after the other:
the booth-key authorizer and presign (``POST /upload``), then the workflow's detect_face, segment, generate (the
themes start together: one cold start on the path) and finalize. The model adds, per function, what its init costs:

- **no bytecode**: the handler's imports with nothing compiled, as a layer shipped without .pyc for the runtime's
  Python is on every cold start (/opt is read-only: nothing is cached). boto3 is compiled here too although the
  runtime ships its bytecode, so this column is a little pessimistic; the authorizer (no layer) shows its
  "layer bytecode" figure;
- **layer bytecode**: the same imports reading .pyc files (``make layer`` now compiles them with the runtime's
  Python, tests/infra/test_layer_bytecode.py);
- **SnapStart**: no init at all; Lambda resumes a snapshot of the initialised process. Its cost is *measured here
  as a fork of an initialised process* (the after-restore hooks run in the child), not taken from AWS: AWS publishes
  no restore figure for Python. A fork copies no memory up front and reads no snapshot over the network, so this is
  a lower bound; the deployed figure is the ``Restore Duration`` of the function's REPORT log line
  (https://docs.aws.amazon.com/lambda/latest/dg/snapstart-monitoring.html).

Every import figure is CPU time of a fresh interpreter on this machine (this venv's Python, while Lambda runs
``constants.PYTHON_VERSION``), the steadier figure on a shared machine. Lambda's own start of the microVM and the
runtime is outside the model: it is the same with and without our changes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The functions on a visitor's path, in order, and where each handler lives.
PATH = {
    "authorizer": ROOT / "infra" / "authorizer",
    "presign": ROOT / "functions" / "presign",
    "detect_face": ROOT / "functions" / "detect_face",
    "segment": ROOT / "functions" / "segment",
    "generate": ROOT / "functions" / "generate",
    "finalize": ROOT / "functions" / "finalize",
}
# The authorizer has no layer: its one library, boto3, comes with the runtime and the runtime's bytecode.
RUNTIME_LIBRARIES_ONLY = {"authorizer"}


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _child(arguments: list[str], environment: dict[str, str | None]) -> dict:
    merged = {**os.environ, **environment}
    env = {name: value for name, value in merged.items() if value is not None}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-m", "bench.cold_start", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{arguments} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _import_handler(function: str) -> float:
    sys.path.insert(0, str(PATH[function]))
    started = time.process_time()
    __import__("handler")
    return time.process_time() - started


def import_cpu(function: str) -> dict:
    """Child workload: CPU seconds to import one handler in this fresh interpreter."""
    return {"cpu": _import_handler(function)}


def restore_seconds(function: str, rounds: int) -> dict:
    """Child workload: import the handler (init, what the snapshot holds), then fork ``rounds`` times; each child
    runs the after-restore hooks the Lambda runtime would run and reports ready. The wall time from fork to ready is
    the snapshot-like restore."""
    init_cpu = _import_handler(function)
    try:
        import snapshot_restore_py

        hooks = list(snapshot_restore_py._after_restore_registry)
    except ImportError:  # the hooks are photobooth.snapstart's: without the library none is registered
        hooks = []
    seconds: list[float] = []
    for _ in range(rounds):
        read, write = os.pipe()
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            for hook, args, kwargs in hooks:
                hook(*args, **kwargs)
            os.write(write, b"ready")
            os._exit(0)
        os.close(write)
        with os.fdopen(read, "rb") as answer:
            answer.read()
        seconds.append(time.perf_counter() - started)
        os.waitpid(pid, 0)
    return {"init_cpu": init_cpu, "restore": seconds, "hooks": len(hooks)}


def model(rounds: int) -> list[str]:
    lines = [
        "cold start a visitor meets on AWS: a model (imports: CPU of a fresh interpreter here, median of "
        f"{rounds}; SnapStart: a fork of the initialised process, measured, a lower bound; bench/cold_start.py)"
    ]
    lambda_like: dict[str, str | None] = {
        "LAMBDA_TASK_ROOT": str(ROOT),
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "OPENBLAS_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": None,
    }
    totals = {"no bytecode": 0.0, "layer bytecode": 0.0, "SnapStart": 0.0}
    with tempfile.TemporaryDirectory() as empty_cache:
        source_only = {**lambda_like, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": empty_cache}
        for function in PATH:
            _child(["import", function], lambda_like)  # writes the bytecode "layer bytecode" reads
            compiled = [_child(["import", function], lambda_like)["cpu"] for _ in range(rounds)]
            source = (
                compiled
                if function in RUNTIME_LIBRARIES_ONLY
                else [_child(["import", function], source_only)["cpu"] for _ in range(rounds)]
            )
            fork = _child(["restore", function, str(rounds)], lambda_like)
            row = {
                "no bytecode": _median(source),
                "layer bytecode": _median(compiled),
                "SnapStart": _median(fork["restore"]),
            }
            for key, value in row.items():
                totals[key] += value
            lines.append(
                f"    {function:12s} " + ", ".join(f"{key} {value * 1000:5.0f} ms" for key, value in row.items())
            )
    lines.append(
        "    on the path  "
        + ", ".join(f"{key} {value:.2f} s" for key, value in totals.items())
        + f" ({len(PATH)} cold starts in a row; Lambda's own microVM and runtime start not included)"
    )
    return lines


def run(quick: bool = False) -> list[str]:
    return model(rounds=1 if quick else 3)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start")
    commands = parser.add_subparsers(dest="command", required=True)
    imports = commands.add_parser("import")
    imports.add_argument("function", choices=sorted(PATH))
    restore = commands.add_parser("restore")
    restore.add_argument("function", choices=sorted(PATH))
    restore.add_argument("rounds", type=int)
    commands.add_parser("model").add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.command == "import":
        print(json.dumps(import_cpu(args.function)))
    elif args.command == "restore":
        print(json.dumps(restore_seconds(args.function, args.rounds)))
    else:
        for line in model(args.rounds):
            print(line, flush=True)


if __name__ == "__main__":
    main()
