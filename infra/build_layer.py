#!/usr/bin/env python3
"""Build the Lambda layer without Docker: the domain package plus its runtime dependencies for arm64 Lambda.

    python infra/build_layer.py [--out infra/.layer]

Dependencies come from pyproject.toml's ``[project].dependencies`` (boto3 left out: the Lambda runtime has it;
opencv-python-headless is in: the paste-back and GrabCut use it). pip downloads manylinux wheels for the
Lambda interpreter (``--platform ... --only-binary=:all:``), so this runs on any machine with PyPI access.
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


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def layer_requirements(pyproject: Path = constants.REPO_ROOT / "pyproject.toml") -> list[str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    requirements = [r for r in project["dependencies"] if _name(r) not in _IN_RUNTIME]
    # The tracer extra only adds aws-xray-sdk, installed separately without its botocore dependency.
    requirements = [re.sub(r"\[([^\]]*)\]", lambda m: _without_tracer(m.group(1)), r) for r in requirements]
    return requirements


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
    _pip(site, _NO_DEPS, "--no-deps")
    shutil.copytree(
        constants.DOMAIN_PACKAGE_DIR, site / "photobooth", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    for junk in [*site.glob("bin"), *site.rglob("__pycache__")]:
        shutil.rmtree(junk, ignore_errors=True)
    _compile_bytecode(site, python)
    size = sum(f.stat().st_size for f in site.rglob("*") if f.is_file())
    print(f"layer built in {out} ({size / 2**20:.0f} MiB unzipped; Lambda allows 250 MiB with the function code)")
    return out


def _compile_bytecode(site: Path, python: str | None) -> None:
    """Ship .pyc files: /opt is read-only on Lambda, so without them every cold start compiles the layer again.

    Bytecode is specific to a Python minor version, so only an interpreter of the layer's runtime version may
    compile it. ``unchecked-hash`` pyc files (PEP 552) are used without comparing the source's timestamp, which
    the asset zip does not keep. Without such an interpreter the layer ships source only, and says so.
    """
    candidates = [python] if python else _runtime_pythons()
    interpreter, version = None, ""
    for candidate in candidates:
        interpreter, version = candidate, _version_of(candidate)
        if version == constants.PYTHON_VERSION:
            break
    if interpreter is None or version != constants.PYTHON_VERSION:
        found = f"{interpreter} is Python {version or '?'}" if interpreter else "none found"
        print(
            f"layer ships without bytecode: compiling needs Python {constants.PYTHON_VERSION} ({found}; "
            "pass --python); Lambda then compiles the layer at every cold start"
        )
        return
    compile_all = [interpreter, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]
    subprocess.run([*compile_all, str(site)], check=True)


def _runtime_pythons() -> list[str]:
    """Interpreters that may be the runtime's version: ``pythonX.Y`` on PATH (a pyenv shim there fails unless that
    version is active), then pyenv's own installs of X.Y, newest patch first."""
    found = [path for path in [shutil.which(f"python{constants.PYTHON_VERSION}")] if path]
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    installs = sorted(
        Path(root).glob(f"versions/{constants.PYTHON_VERSION}.*/bin/python{constants.PYTHON_VERSION}"),
        key=lambda path: [int(part) for part in path.parts[-3].split(".") if part.isdigit()],
        reverse=True,
    )
    return found + [str(path) for path in installs]


def _version_of(interpreter: str) -> str:
    check = [interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
    try:
        answer = subprocess.run(check, capture_output=True, text=True, check=False, timeout=30)
    except OSError:
        return ""
    return answer.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=constants.DEFAULT_LAYER_DIR)
    parser.add_argument("--python", help=f"a Python {constants.PYTHON_VERSION} to compile the bytecode with")
    args = parser.parse_args()
    build(args.out, args.python)


if __name__ == "__main__":
    main()
