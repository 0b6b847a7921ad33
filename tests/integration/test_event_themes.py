"""Issue 23 item 9: themes for a local event. `photobooth serve` honours PHOTOBOOTH_DEFAULT_THEMES, takes a theme
list of the operator's own (without the built-in names), labels per language, says which offline scene stands in
for each custom theme, and refuses bad settings in plain words. Real `photobooth serve` processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from photobooth.models import Theme
from photobooth.offline.scenes import scene_for
from tests.support import portraits
from tests.support.server import ServedBooth, start_booth

pytestmark = pytest.mark.slow

GALA = {
    "name": "gala",
    "label": "Gala night",
    "labels": {"ko": "갈라의 밤"},
    "prompt": "an elegant ballroom with chandeliers and golden light",
    "offline_scene": "cosmos",
}
HARBOUR = {"name": "harbour", "label": "Harbour", "prompt": "a harbour with sailing boats at dawn"}


def upload(booth: ServedBooth, **extra: object) -> dict:
    body = {"type": "photo", "filename": "guest.jpg", "contentType": "image/jpeg", **extra}
    status, ticket = booth.json("POST", "/upload", body)
    assert status == 200, ticket
    return ticket  # type: ignore[return-value]


def test_serve_honours_the_default_themes(tmp_path: Path) -> None:
    booth = start_booth(tmp_path / "data", tmp_path / "log", env={"PHOTOBOOTH_DEFAULT_THEMES": '["cosmos", "beach"]'})
    try:
        status, themes = booth.json("GET", "/themes")
        assert status == 200 and [t["name"] for t in themes if t["default"]] == ["cosmos", "beach"]  # type: ignore[union-attr,index]
        ticket = upload(booth)
        assert booth.json("GET", f"/photo/{ticket['requestId']}")[1]["themes"] == ["cosmos", "beach"]  # type: ignore[index]
    finally:
        booth.stop()


def test_a_theme_list_of_the_events_own_with_labels_and_offline_scenes(tmp_path: Path) -> None:
    env = {"PHOTOBOOTH_THEMES": json.dumps([GALA, HARBOUR], ensure_ascii=False)}
    booth = start_booth(tmp_path / "data", tmp_path / "log", env=env)
    try:
        status, themes = booth.json("GET", "/themes")
        assert status == 200
        assert themes == [
            {"name": "gala", "label": "Gala night", "labels": {"ko": "갈라의 밤"}, "default": True},
            {"name": "harbour", "label": "Harbour", "labels": {}, "default": True},
        ]
        # The console says which scene paints each custom theme offline: the named one, or the one chosen for it.
        log = booth.output()
        assert "theme 'gala' is painted as the 'cosmos' scene (as it names" in log
        chosen = scene_for(Theme.model_validate(HARBOUR))
        assert f"theme 'harbour' is painted as the '{chosen}' scene (chosen from its name and prompt" in log

        ticket = upload(booth, themes=["gala"])
        put = booth.request(
            "PUT", "", portraits.jpeg_bytes(), {"Content-Type": "image/jpeg"}, url=ticket["UploadURL"]
        )
        assert put[0] == 200
        done = booth.wait_for_terminal(ticket["requestId"])
        assert done["status"] == "SUCCEEDED" and [i["theme"] for i in done["images"]] == ["gala"], done
    finally:
        booth.stop()


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"PHOTOBOOTH_THEMES": '[{"name": "Gala!", "prompt": "a ballroom"}]'}, "PHOTOBOOTH_THEMES[0].name"),
        ({"PHOTOBOOTH_THEMES": '[{"name": "gala", "prompt": "a ballroom"'}, "JSON is expected"),
        ({"PHOTOBOOTH_THEMES": '[{"name": "gala", "promt": "a ballroom"}]'}, "PHOTOBOOTH_THEMES[0].promt"),
        ({"PHOTOBOOTH_DEFAULT_THEMES": '["gala"]'}, "default_themes names unknown themes: ['gala']"),
        (
            {"PHOTOBOOTH_THEMES": json.dumps([{**GALA, "labels": {"Korean": "갈라"}}])},
            "labels are keyed by language codes",
        ),
    ],
)
def test_bad_theme_settings_are_told_plainly_and_nothing_starts(tmp_path: Path, env: dict, said: str) -> None:
    import os

    result = subprocess.run(
        [sys.executable, "-m", "photobooth.local.cli", "serve", "--port", "0", "--data", str(tmp_path / "data")],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert said in result.stderr and "the settings are not valid" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout and "pydantic" not in result.stderr
    assert not (tmp_path / "data").exists()  # nothing started, nothing written
