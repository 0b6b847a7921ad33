"""The layer ships bytecode for the Lambda runtime's Python only, and bytecode Lambda will actually use."""

from __future__ import annotations

import sys
from pathlib import Path

import build_layer  # infra/ is on sys.path (conftest)
import pytest
from photobooth_infra import constants

THIS_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "python"
    (site / "pkg").mkdir(parents=True)
    (site / "pkg" / "__init__.py").write_text("VALUE = 42\n")
    return site


def test_bytecode_is_compiled_by_the_runtimes_python_and_skips_the_timestamp_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(constants, "PYTHON_VERSION", THIS_PYTHON)
    site = _site(tmp_path)

    build_layer._compile_bytecode(site, sys.executable)

    (pyc,) = (site / "pkg" / "__pycache__").glob(f"__init__.{sys.implementation.cache_tag}.pyc")
    # PEP 552 header: flags word 0b01 = hash-based, source not checked (the asset zip does not keep mtimes).
    assert int.from_bytes(pyc.read_bytes()[4:8], "little") == 0b01


def test_another_python_version_compiles_nothing_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(constants, "PYTHON_VERSION", "2.7")
    site = _site(tmp_path)

    build_layer._compile_bytecode(site, sys.executable)

    assert not list(site.rglob("*.pyc"))
    assert f"{sys.executable} is Python {THIS_PYTHON}" in capsys.readouterr().out


def test_make_layer_on_this_machine_ships_bytecode_the_runtime_reads(tmp_path: Path) -> None:
    """What `make layer` does (no --python): the runtime's interpreter is found on these machines (pyenv's, when its
    shim is not active), and every .pyc carries the magic number of the functions' runtime. Lambda's /opt is
    read-only, so bytecode of another version is ignored and every cold start compiles the layer again (FACTS.md)."""
    site = _site(tmp_path)

    build_layer._compile_bytecode(site, None)

    assert constants.PYTHON_RUNTIME.name == f"python{constants.PYTHON_VERSION}"
    tag = "cpython-" + constants.PYTHON_VERSION.replace(".", "")
    (pyc,) = (site / "pkg" / "__pycache__").glob("*.pyc")
    assert pyc.name == f"__init__.{tag}.pyc"
    # CPython's magic numbers (Lib/importlib/_bootstrap_external.py): 3531 is 3.12's last, 3571 is 3.13's.
    magic = {"3.12": 3531, "3.13": 3571}[constants.PYTHON_VERSION]
    assert pyc.read_bytes()[:4] == magic.to_bytes(2, "little") + b"\r\n"
