"""The layer ships bytecode for the Lambda runtime's Python only, and bytecode Lambda will actually use."""

from __future__ import annotations

import re
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


# The first two bytes of a .pyc (little-endian) per CPython minor version, as CPython's
# Lib/importlib/_bootstrap_external.py lists them ("Python 3.12b1 3531", "Python 3.13a... 3571" are the last
# numbers of those series, the ones the released interpreters write). Lambda's runtime reads a .pyc only when this
# number is its own; any other .pyc is ignored and the module is compiled again on every cold start.
RUNTIME_BYTECODE_MAGIC = {"3.12": 3531, "3.13": 3571}


def test_the_layer_is_compiled_with_bytecode_the_runtime_reads_by_default(tmp_path: Path) -> None:
    """`make layer` passes no --python: the build must find an interpreter of the runtime's version by itself."""
    site = _site(tmp_path)

    build_layer._compile_bytecode(site, None)

    assert constants.PYTHON_RUNTIME.name == f"python{constants.PYTHON_VERSION}"
    cache_tag = "cpython-" + constants.PYTHON_VERSION.replace(".", "")
    pycs = list(site.rglob("*.pyc"))
    assert [p.name for p in pycs] == [f"__init__.{cache_tag}.pyc"]
    header = pycs[0].read_bytes()
    assert int.from_bytes(header[:2], "little") == RUNTIME_BYTECODE_MAGIC[constants.PYTHON_VERSION]
    assert header[2:4] == b"\r\n"
    assert int.from_bytes(header[4:8], "little") == 0b01  # unchecked hash: the asset zip keeps no mtimes


def test_make_layer_ships_the_runtimes_bytecode_for_every_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `make layer` runs (the Makefile's recipe, no --python) leaves a .pyc of the runtime's version beside
    every module of the layer. The wheels are left out (pip is not run): the domain package is the layer's part."""
    recipe = re.search(r"^layer:.*\n\t(.+)$", (constants.REPO_ROOT / "Makefile").read_text(), flags=re.MULTILINE)
    assert recipe and recipe.group(1).split() == ["$(PY)", "infra/build_layer.py"]
    monkeypatch.setattr(build_layer, "_pip", lambda *args, **kwargs: None)
    monkeypatch.setattr(sys, "argv", ["build_layer.py", "--out", str(tmp_path / "layer")])

    build_layer.main()

    site = tmp_path / "layer" / constants.LAYER_CONTENT_SUBDIR
    modules = list((site / "photobooth").rglob("*.py"))
    assert len(modules) > 20
    cache_tag = "cpython-" + constants.PYTHON_VERSION.replace(".", "")
    for module in modules:
        pyc = module.parent / "__pycache__" / f"{module.stem}.{cache_tag}.pyc"
        assert pyc.exists(), module
        magic = int.from_bytes(pyc.read_bytes()[:2], "little")
        assert magic == RUNTIME_BYTECODE_MAGIC[constants.PYTHON_VERSION], module
