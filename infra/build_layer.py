#!/usr/bin/env python3
"""Build the Lambda layer without Docker: the domain package plus its runtime dependencies for arm64 Lambda.

    python infra/build_layer.py [--out infra/.layer]

Dependencies come from pyproject.toml's ``[project].dependencies`` (boto3 left out: the Lambda runtime has it;
opencv-python-headless is in: the paste-back and GrabCut use it) and its ``selfie-onnx`` extra (ONNX Runtime for the
segment function's selfie model, slimmed). pip downloads manylinux wheels for the Lambda interpreter
(``--platform ... --only-binary=:all:``), so this runs on any machine with PyPI access.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from photobooth_infra import constants

# Provided by the Lambda Python runtime.
_IN_RUNTIME = {"boto3", "botocore", "s3transfer"}
# aws-xray-sdk (Powertools' tracer) requires botocore, which would pull a second copy into the layer.
_NO_DEPS = ["aws-xray-sdk>=2.14", "wrapt>=1.17"]
# The segment function's selfie model runs on ONNX Runtime (LiteRT has no aarch64 wheel): pyproject's extra of this
# name. Installed without its dependencies: an inference session needs only numpy (in the layer already); protobuf,
# flatbuffers and packaging serve its model-editing tools.
SEGMENTER_EXTRA = "selfie-onnx"
# Parts of the onnxruntime wheel an inference session never loads (checked by tests/infra/test_layer_size.py, which
# runs the model on a copy without them): the C API library for other languages (the Python module links ONNX
# Runtime statically) and the pure-Python tool packages. 27 MiB of its 59 on aarch64.
ONNXRUNTIME_UNUSED = ("capi/libonnxruntime.so*", "transformers", "quantization", "tools", "datasets")
# Lambda's limit on a function's code and layers, unzipped: "250 MB" (https://docs.aws.amazon.com/lambda/latest/dg/
# gettingstarted-limits.html), read as decimal megabytes, the smaller reading. The functions' own code is a few KB;
# 1 MB is kept for it.
UNZIPPED_LIMIT_BYTES = 250 * 1000 * 1000
FUNCTION_CODE_ALLOWANCE_BYTES = 1000 * 1000


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def layer_requirements(pyproject: Path = constants.REPO_ROOT / "pyproject.toml") -> list[str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    requirements = [r for r in project["dependencies"] if _name(r) not in _IN_RUNTIME]
    # The tracer extra only adds aws-xray-sdk, installed separately without its botocore dependency.
    requirements = [re.sub(r"\[([^\]]*)\]", lambda m: _without_tracer(m.group(1)), r) for r in requirements]
    return requirements


def extra_requirements(extra: str, pyproject: Path = constants.REPO_ROOT / "pyproject.toml") -> list[str]:
    return list(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["optional-dependencies"][extra])


def slim_onnxruntime(site: Path) -> int:
    """Remove :data:`ONNXRUNTIME_UNUSED` from the onnxruntime package in ``site``; answers the bytes freed."""
    package = site / "onnxruntime"
    freed = 0
    for pattern in ONNXRUNTIME_UNUSED:
        for path in package.glob(pattern):
            files = [path] if path.is_file() else [f for f in path.rglob("*") if f.is_file()]
            freed += sum(f.stat().st_size for f in files)
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    return freed


def check_size(site: Path) -> int:
    """The layer's unzipped size; fails the build when the functions would not fit Lambda's limit with it."""
    size = sum(f.stat().st_size for f in site.rglob("*") if f.is_file())
    if size > UNZIPPED_LIMIT_BYTES - FUNCTION_CODE_ALLOWANCE_BYTES:
        raise SystemExit(
            f"the layer is {size / 1e6:.0f} MB unzipped: with the function code it would pass Lambda's "
            f"{UNZIPPED_LIMIT_BYTES / 1e6:.0f} MB limit"
        )
    return size


def _without_tracer(extras: str) -> str:
    kept = [e.strip() for e in extras.split(",") if e.strip() != "tracer"]
    return f"[{','.join(kept)}]" if kept else ""


def _pip(target: Path, requirements: list[str], *extra: str) -> None:
    platforms = [arg for platform in constants.LAYER_PLATFORMS for arg in ("--platform", platform)]
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--target",
        str(target),
        *platforms,
        "--implementation",
        "cp",
        "--python-version",
        constants.PYTHON_VERSION,
        "--only-binary=:all:",
        "--upgrade",
        *extra,
        *requirements,
    ]
    subprocess.run(command, check=True)


def build(out: Path, python: str | None = None) -> Path:
    site = out / constants.LAYER_CONTENT_SUBDIR
    if out.exists():
        shutil.rmtree(out)
    site.mkdir(parents=True)
    _pip(site, layer_requirements())
    _pip(site, [*_NO_DEPS, *extra_requirements(SEGMENTER_EXTRA)], "--no-deps")
    slim_onnxruntime(site)
    shutil.copytree(
        constants.DOMAIN_PACKAGE_DIR, site / "photobooth", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    for junk in [*site.glob("bin"), *site.rglob("__pycache__")]:
        shutil.rmtree(junk, ignore_errors=True)
    _compile_bytecode(site, python)
    size = check_size(site)
    print(f"layer built in {out} ({size / 1e6:.0f} MB unzipped; Lambda allows 250 MB with the function code)")
    return out


def _compile_bytecode(site: Path, python: str | None) -> None:
    """Ship .pyc files: /opt is read-only on Lambda, so without them every cold start compiles the layer again.

    Bytecode is specific to a Python minor version, so only an interpreter of the layer's runtime version may
    compile it. ``unchecked-hash`` pyc files (PEP 552) are used without comparing the source's timestamp, which
    the asset zip does not keep. Without such an interpreter the layer ships source only, and says so.
    """
    candidates = [python] if python else runtime_interpreters()
    checked: list[str] = []
    for interpreter in candidates:
        version = _version_of(interpreter)
        if version == constants.PYTHON_VERSION:
            compile_all = [interpreter, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]
            subprocess.run([*compile_all, str(site)], check=True)
            print(f"layer bytecode compiled by {interpreter} (Python {version}, the runtime's)")
            return
        checked.append(f"{interpreter} is Python {version or '?'}")
    print(
        f"layer ships without bytecode: compiling needs Python {constants.PYTHON_VERSION} "
        f"({'; '.join(checked) or 'none found'}; pass --python); Lambda then compiles the layer at every cold start"
    )


def runtime_interpreters() -> list[str]:
    """Where a Python of the runtime's minor version may be: on PATH, then pyenv's installed versions.

    pyenv's shim for ``python3.13`` is on PATH even when that version is not selected, and then fails; so the
    versions folder is searched as well (``$PYENV_ROOT``, else ``~/.pyenv``), newest patch release first.
    """
    name = f"python{constants.PYTHON_VERSION}"
    found = [path for path in [shutil.which(name)] if path]
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    installed = sorted(
        (pyenv_root / "versions").glob(f"{constants.PYTHON_VERSION}.*/bin/{name}"),
        key=lambda p: [int(part) if part.isdigit() else -1 for part in p.parts[-3].split(".")],
        reverse=True,
    )
    return found + [str(p) for p in installed]


def _version_of(interpreter: str) -> str:
    check = [interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
    try:
        answer = subprocess.run(check, capture_output=True, text=True, check=False, timeout=60)
    except OSError:
        return ""
    return answer.stdout.strip() if answer.returncode == 0 else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=constants.DEFAULT_LAYER_DIR)
    parser.add_argument("--python", help=f"a Python {constants.PYTHON_VERSION} to compile the bytecode with")
    args = parser.parse_args()
    build(args.out, args.python)


if __name__ == "__main__":
    main()
