"""`make install-dev` makes LocalStack's environment (scripts/install-localstack): from a Python >= 3.13 found on the
machine, only from the committed lock file with every package pinned by hash, and with a message naming what is
missing when no such Python is there. The script runs here in a copy of the project's layout under a temporary
folder, so the shared .venv-localstack is never touched.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.statemachine import interpreters

ROOT = interpreters.project_root()
SCRIPT = ROOT / "scripts" / "install-localstack"
LOCK_DIR = Path("tests") / "statemachine" / "localstack_env"
# The commands the script uses besides its own Python candidates: a PATH of these alone hides every Python of
# this machine from it.
TOOLS = ("bash", "dirname", "sha256sum", "cut", "cat", "rm")


def _locked(lock_text: str) -> dict[str, tuple[str, list[str]]]:
    """name -> (pinned version, hashes) of a `uv pip compile --generate-hashes` file."""
    locked = {}
    for block in re.split(r"\n(?=\S)", lock_text):
        first = block.split("\n", 1)[0].split("\\", 1)[0].strip()
        if not first or first.startswith("#"):
            continue
        requirement = Requirement(first)
        (pin,) = requirement.specifier
        assert pin.operator == "==", f"{first}: not pinned with =="
        locked[canonicalize_name(requirement.name)] = (
            pin.version,
            re.findall(r"--hash=sha256:([0-9a-f]{64})", block),
        )
    return locked


def test_the_lock_pins_every_package_with_its_hashes_and_meets_every_pin_asked_for():
    locked = _locked((ROOT / LOCK_DIR / "requirements.txt").read_text())
    asked = [
        Requirement(line.split("#", 1)[0].strip())
        for line in (ROOT / LOCK_DIR / "requirements.in").read_text().splitlines()
        if line.split("#", 1)[0].strip()
    ]

    assert len(locked) > len(asked), "the lock holds the dependencies too"
    assert [name for name, (_, hashes) in locked.items() if not hashes] == []
    for requirement in asked:
        version, _ = locked[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version), f"{requirement} locked at {version}"
    assert locked["localstack-core"][0] == "2026.3.0"  # launch.py's patches are written for this version


def _layout(tmp_path: Path, lock: str, *, path_pythons: dict[str, str]) -> tuple[Path, dict[str, str]]:
    """A copy of the script and a lock file in the project's layout; an environment whose PATH holds the tools
    and ``path_pythons`` (name -> file contents or the Python to link to) and whose pyenv root is empty."""
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    shutil.copy2(SCRIPT, project / "scripts" / SCRIPT.name)
    (project / LOCK_DIR).mkdir(parents=True)
    (project / LOCK_DIR / "requirements.txt").write_text(lock)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        (bin_dir / tool).symlink_to(shutil.which(tool) or tool)
    for name, python in path_pythons.items():
        if Path(python).is_absolute():
            (bin_dir / name).symlink_to(python)
        else:
            (bin_dir / name).write_text(python)
            (bin_dir / name).chmod(0o755)
    (tmp_path / "pyenv" / "versions").mkdir(parents=True)
    environment = {"PATH": str(bin_dir), "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "pyenv")}
    return project, environment


def _install(project: Path, environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(project / "scripts" / SCRIPT.name)], env=environment, capture_output=True, text=True, timeout=300
    )


def test_without_a_python_3_13_the_installer_fails_and_says_what_to_install(tmp_path):
    # A pyenv shim whose version is not installed fails as this one does; the project's own Python is 3.11.
    project, environment = _layout(
        tmp_path, "# nothing\n", path_pythons={"python3.13": "#!/bin/sh\nexit 127\n", "python3": "/usr/bin/python3"}
    )
    # What pyenv's 3.12 would be: a Python that does not fit.
    old = tmp_path / "pyenv" / "versions" / "3.12.1" / "bin"
    old.mkdir(parents=True)
    (old / "python").symlink_to(tmp_path / "bin" / "python3.13")

    result = _install(project, environment)

    assert result.returncode == 1, result
    assert "needs a Python >= 3.13 with venv" in result.stderr
    assert f"{tmp_path}/bin/python3.13" in result.stderr, "names what it looked at"
    assert "pyenv install 3.13" in result.stderr and "make install-dev again" in result.stderr
    assert not (project / ".venv-localstack").exists()


def test_the_installer_takes_pyenvs_3_13_and_does_nothing_when_the_environment_matches_the_lock(tmp_path):
    real_313 = interpreters.LOCALSTACK_PYTHON.resolve()  # the Python .venv-localstack was made from (>= 3.13)
    lock = "# no package: what is tested is the Python found and the lock's fingerprint\n"
    project, environment = _layout(tmp_path, lock, path_pythons={"python3": "/usr/bin/python3"})
    found = tmp_path / "pyenv" / "versions" / "3.13.0" / "bin"
    found.mkdir(parents=True)
    (found / "python").symlink_to(real_313)

    first = _install(project, environment)

    assert first.returncode == 0, first
    assert f"from {found / 'python'}" in first.stdout
    venv = project / ".venv-localstack"
    assert re.search(r"^version = 3\.1[3-9]", (venv / "pyvenv.cfg").read_text(), re.MULTILINE)
    assert (venv / ".lock-sha256").read_text().strip() == hashlib.sha256(lock.encode()).hexdigest()

    made = os.stat(venv / "pyvenv.cfg").st_mtime_ns
    again = _install(project, environment)
    assert (again.returncode, again.stdout) == (0, "") and os.stat(venv / "pyvenv.cfg").st_mtime_ns == made
