"""LocalStack's interpreter that cannot start fails the tier with the reason and its log; it is never skipped."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.statemachine import interpreters


def test_a_missing_environment_says_how_to_make_it(monkeypatch, tmp_path):
    monkeypatch.setattr(interpreters, "LOCALSTACK_PYTHON", tmp_path / "no-venv" / "bin" / "python")

    missing = pytest.raises(interpreters.InterpreterUnavailable, match=r"make install-dev.*Python >= 3\.13")
    with missing, interpreters.localstack_interpreter():
        pass


def test_an_interpreter_that_dies_at_start_shows_its_log(monkeypatch, tmp_path):
    launcher = tmp_path / "launch.py"
    launcher.write_text("import sys\nprint('no plugin could be loaded')\nsys.exit(3)\n")
    monkeypatch.setattr(interpreters, "LOCALSTACK_PYTHON", type(tmp_path)(sys.executable))
    monkeypatch.setattr(interpreters, "LOCALSTACK_LAUNCHER", launcher)

    died = pytest.raises(interpreters.InterpreterUnavailable, match=r"exited with 3(.|\n)*no plugin could be loaded")
    with died, interpreters.localstack_interpreter(start_timeout=30):
        pass


def test_localstack_writes_only_under_its_temporary_folder_and_listens_on_loopback():
    """The variables that keep a host-mode LocalStack out of /var/lib, /etc and /usr/lib (these machines have
    /.dockerenv) and off every address but 127.0.0.1."""
    seen: dict[str, str] = {}

    class Recorder:
        def __init__(self, argv, **options):
            seen.update(options["env"])
            raise OSError("not started")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(interpreters.subprocess, "Popen", Recorder)
        patch.setattr(interpreters, "LOCALSTACK_PYTHON", type(interpreters.LOCALSTACK_LAUNCHER)(sys.executable))
        with pytest.raises(OSError, match="not started"), interpreters.localstack_interpreter():
            pass

    assert seen["OVERRIDE_IN_DOCKER"] == "0"
    assert seen["GATEWAY_LISTEN"].startswith("127.0.0.1:")
    assert seen["FILESYSTEM_ROOT"].startswith(seen["TMPDIR"]) and "photobooth-localstack-" in seen["TMPDIR"]
    assert not Path(seen["TMPDIR"]).exists(), "the temporary folder outlived the interpreter"
