"""``photobooth run`` on a folder of photos, one of them without a face."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PIL import Image

from tests.support import portraits

pytestmark = pytest.mark.slow


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "photobooth.local.cli", "run", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_folder_with_a_photo_without_a_face(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "astronaut.jpg").write_bytes(portraits.jpeg_bytes(portraits.astronaut()))
    (photos / "cat.jpg").write_bytes(portraits.jpeg_bytes(portraits.cat()))
    (photos / "notes.txt").write_text("not a photo, not picked up")
    out = tmp_path / "out"

    result = _run(str(photos), "--out", str(out))

    assert result.returncode == 1, result.stdout + result.stderr
    assert sorted(p.name for p in out.iterdir()) == [f"photo_astronaut_{i}.jpeg" for i in (1, 2, 3)]
    for path in out.iterdir():
        assert Image.open(path).format == "JPEG"
    assert "astronaut.jpg: SUCCEEDED, 3 image(s)" in result.stdout
    assert "Detect faces" in result.stdout  # per-step timings
    assert "cat.jpg: FAILED NO_FACE" in result.stdout
    assert "NO_FACE" in result.stderr
    # What AWS would charge, per photo and in total, though the offline run itself spent nothing.
    assert "would cost $" in result.stdout
    assert "estimated AWS cost: $" in result.stdout and "for 2 photo(s)" in result.stdout
    assert "this offline run cost nothing" in result.stdout


def test_chosen_themes_and_a_clean_exit(tmp_path):
    photo = tmp_path / "grace.png"
    photo.write_bytes(portraits.png_bytes(portraits.grace_hopper()))

    result = _run(str(photo), "--out", str(tmp_path / "out"), "--themes", "forest", "beach")

    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["photo_grace_1.jpeg", "photo_grace_2.jpeg"]


def test_a_missing_file_is_a_usage_error(tmp_path):
    result = _run(str(tmp_path / "nope.jpg"), "--out", str(tmp_path / "out"))

    assert result.returncode == 2
    assert "no such photo" in result.stderr


# ``photobooth run`` as the shell starts it in the foreground: with Python's own Ctrl+C handler. A child inherits
# an ignored SIGINT (a suite started as ``nohup make test &`` ignores it, and so would ``photobooth run`` under it:
# Python installs its handler only where SIGINT is not ignored), so the child sets the handler back first.
_RUN_WITH_CTRL_C = (
    "import signal, sys\n"
    "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    "from photobooth.local.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def test_ctrl_c_stops_a_long_run_soon_without_making_the_photos_not_started(tmp_path):
    """Ctrl+C drops the photos not started and stops waiting for the one in progress."""
    import signal

    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(12):
        (photos / f"visitor{i:02d}.jpg").write_bytes(portraits.jpeg_bytes(portraits.astronaut()))
    out = tmp_path / "out"
    child = subprocess.Popen(
        [sys.executable, "-c", _RUN_WITH_CTRL_C, "run", str(photos), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    first = child.stdout.readline()  # the first photo's line: work is under way
    assert "visitor00.jpg: SUCCEEDED" in first, first

    child.send_signal(signal.SIGINT)
    # The bound only turns a hang into a failure; the photos made are the check, whatever the machine's load.
    child.wait(timeout=120)

    made = sorted({path.name.rsplit("_", 1)[0] for path in out.iterdir()})
    # The first photo, the one in progress when the signal came, at most one more if this test was slow to send it:
    # never the rest of the twelve.
    assert len(made) <= 3, f"photos made after Ctrl+C: {made}"
    assert made[0] == "photo_visitor00"
