"""Issue 23 item 9 in real headless Chromium: a theme of the event's own shows its label in the visitor's language
(English and Korean), and follows the language toggle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.steps import take_photo
from tests.support.server import start_booth

pytestmark = pytest.mark.slow

THEMES = [
    {"name": "gala", "label": "Gala night", "labels": {"ko": "갈라의 밤"}, "prompt": "a ballroom with chandeliers"},
    {"name": "harbour", "label": "Harbour", "prompt": "a harbour with sailing boats at dawn"},
]


def chip_labels(page) -> dict[str, str]:
    return page.eval_on_selector_all(
        "[data-testid=theme-chip]",
        "chips => Object.fromEntries(chips.map(c => [c.dataset.theme, c.querySelector('.theme-name').textContent]))",
    )


@pytest.mark.parametrize(("locale", "gala"), [("ko-KR", "갈라의 밤"), ("en-US", "Gala night")])
def test_custom_theme_labels_follow_the_language(open_booth, tmp_path: Path, locale: str, gala: str) -> None:
    served = start_booth(
        tmp_path / "data", tmp_path / "log", env={"PHOTOBOOTH_THEMES": json.dumps(THEMES, ensure_ascii=False)}
    )
    try:
        booth = open_booth(locale=locale, wait_ready=False)
        # The page's own readiness below is what counts; "load" also waits for the attract screen's sample pictures,
        # which a busy machine can take past the default timeout to decode.
        booth.page.goto(served.url, wait_until="domcontentloaded")
        booth.page.wait_for_function("document.body.dataset.ready === 'true'")
        take_photo(booth)
        assert chip_labels(booth.page) == {"gala": gala, "harbour": "Harbour"}  # no Korean label: the English one
        booth.page.click("[data-testid=lang-toggle]")
        other = "Gala night" if locale == "ko-KR" else "갈라의 밤"
        booth.page.wait_for_function(
            "label => document.querySelector('[data-theme=gala] .theme-name').textContent === label", arg=other
        )
    finally:
        served.stop()
