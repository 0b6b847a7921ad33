"""Issue 20 item 3, the booth page's part, in real headless Chromium: while a visitor waits, the page shows the
server's estimate ("Ready in about 2 minutes — 6 visitors ahead", CONTRACT.md ``expectedReadyAt`` and
``queueAhead``) instead of a fixed promise, counted on the server's clock (the HTTP ``Date`` header), renewed by
every answer, and in Korean too; a server without the fields leaves today's estimate from the pad's own history."""

from __future__ import annotations

import json
import math
import time
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from bench import standin
from tests.e2e.conftest import Booth
from tests.e2e.service import StatusGate
from tests.e2e.steps import consent_and_upload, take_photo, wait_for, wait_for_outcome
from tests.support import portraits
from tests.support.server import ServedBooth, start_booth

pytestmark = pytest.mark.slow

EXPECTED = "[data-testid=expected-time]"
# A pad whose clock runs 7 minutes fast: the page must count the wait on the server's clock.
PAD_CLOCK_AHEAD_S = 7 * 60
FAST_PAD_CLOCK = f"""
(() => {{
  const realNow = Date.now.bind(Date);
  Date.now = () => realNow() + {PAD_CLOCK_AHEAD_S * 1000};
}})();
"""
# Every text the wait line shows, as it shows it, with the queue it stood for.
RECORD_THE_WAIT_LINE = """
(() => {
  window.__waitLines = [];
  const watch = () => {
    const line = document.querySelector('[data-testid=expected-time]');
    if (!line) return setTimeout(watch, 50);
    const note = () => {
      const last = window.__waitLines[window.__waitLines.length - 1];
      const entry = {text: line.textContent, ahead: line.dataset.queueAhead ?? null, hidden: line.hidden};
      if (!last || last.text !== entry.text || last.ahead !== entry.ahead) window.__waitLines.push(entry);
    };
    new MutationObserver(note).observe(line, {childList: true, characterData: true, subtree: true, attributes: true});
    note();
  };
  watch();
})();
"""
PHRASES = {
    "en-US": {
        "two minutes, six ahead": "Ready in about 2 minutes — 6 visitors ahead",
        "soon, one ahead": "Ready in less than a minute — 1 visitor ahead",
        "fallback": "Usually ready in about",
    },
    "ko-KR": {
        "two minutes, six ahead": "약 2분 후 완성 — 앞에 6명 대기",
        "soon, one ahead": "1분 안에 완성 — 앞에 1명 대기",
        "fallback": "보통",
    },
}


def wait_line(page: Page) -> str:
    return str(page.text_content(EXPECTED) or "")


def wait_for_wait_line(booth: Booth, text: str, why: str, timeout_ms: int = 20_000) -> None:
    try:
        booth.page.wait_for_function(
            "([sel, text]) => { const e = document.querySelector(sel); "
            "return e && !e.hidden && e.textContent === text }",
            arg=[EXPECTED, text],
            timeout=timeout_ms,
        )
    except PlaywrightTimeoutError:
        pytest.fail(f"{why}: the wait line says {wait_line(booth.page)!r}, not {text!r}; problems: {booth.problems}")


@pytest.mark.parametrize("locale", list(PHRASES))
def test_the_wait_line_shows_the_servers_estimate_on_the_servers_clock_and_follows_each_answer(
    open_booth, locale: str
) -> None:
    """The held answers say the pictures are expected 130 s from now with 6 visitors ahead; the pad's clock is 7
    minutes fast, so a page that trusted it would say "less than a minute". The next answers move the queue to 1
    ahead and 40 s: the line follows. Then the real server finishes the request and the line goes."""
    booth = open_booth(locale=locale, wait_ready=False)
    page = booth.page
    page.add_init_script(FAST_PAD_CLOCK)
    page.reload()
    page.wait_for_function("document.body.dataset.ready === 'true'")
    phrases = PHRASES[locale]
    gate = StatusGate(page, mode="hold", themes=["cosmos"], estimate=(130, 6)).install()
    take_photo(booth)
    only_theme(page, "cosmos")
    consent_and_upload(booth)

    wait_for_wait_line(booth, phrases["two minutes, six ahead"], "the page did not show the server's estimate")
    assert page.locator(EXPECTED).get_attribute("data-queue-ahead") == "6"
    assert phrases["fallback"] not in wait_line(page)

    held = gate.held
    gate.estimate = (40, 1)
    wait_for_wait_line(booth, phrases["soon, one ahead"], "the line did not follow the next answer")
    assert gate.held > held

    gate.mode = "pass"
    outcome = wait_for_outcome(booth)
    assert outcome.get("result") == "SUCCEEDED", f"{outcome}; server log:\n{booth.server.log()}"
    assert page.locator(EXPECTED).is_hidden()
    assert booth.problems == []


def test_a_server_without_an_estimate_leaves_the_pads_own_expectation(open_booth) -> None:
    """An older server answers neither field: the page keeps today's line, from its own recent requests."""
    booth = open_booth()
    page = booth.page
    StatusGate(page, mode="hold", themes=["cosmos"]).install()
    take_photo(booth)
    only_theme(page, "cosmos")
    consent_and_upload(booth)
    wait_for(booth, f"{EXPECTED}:not([hidden])", "no expected time while waiting")
    page.wait_for_function("document.body.dataset.requestId")
    page.wait_for_timeout(3_000)  # a few polls: none may replace the line

    assert wait_line(page).startswith("Usually ready in about "), wait_line(page)
    assert page.locator(EXPECTED).get_attribute("data-queue-ahead") is None


def test_the_language_toggle_rewords_the_wait_line(open_booth) -> None:
    booth = open_booth(locale="en-US")
    page = booth.page
    StatusGate(page, mode="hold", themes=["cosmos"], estimate=(130, 6)).install()
    take_photo(booth)
    only_theme(page, "cosmos")
    consent_and_upload(booth)
    wait_for_wait_line(booth, PHRASES["en-US"]["two minutes, six ahead"], "no estimate shown")

    page.click("[data-testid=lang-toggle]")

    wait_for_wait_line(booth, PHRASES["ko-KR"]["two minutes, six ahead"], "the toggle did not reword the line")


def test_a_visitor_told_a_long_wait_is_not_given_up_on_before_it(open_booth) -> None:
    """pollTimeoutSeconds is 4 here; the server says the pictures come in 2 minutes. The page must keep waiting past
    its own 4 s (it gives up that long after the server's time), and an older server's wait still ends at 4 s."""
    config = {"pollTimeoutSeconds": 4}
    told = open_booth(config=config)
    gate = StatusGate(told.page, mode="hold", themes=["cosmos"], estimate=(120, 9)).install()
    take_photo(told)
    only_theme(told.page, "cosmos")
    consent_and_upload(told)
    told.page.wait_for_function("document.body.dataset.requestId")
    polls = gate.held
    told.page.wait_for_timeout(8_000)  # twice pollTimeoutSeconds: a page that kept its own deadline gave up by now

    assert told.page.evaluate("document.body.dataset.errorCode") is None, f"gave up, told {wait_line(told.page)!r}"
    assert told.page.evaluate("document.body.dataset.screen") == "progress"
    assert gate.held > polls, "the page stopped polling"

    untold = open_booth(config=config)
    StatusGate(untold.page, mode="hold", themes=["cosmos"]).install()
    take_photo(untold)
    only_theme(untold.page, "cosmos")
    consent_and_upload(untold)
    wait_for(untold, "[data-testid=screen-error]", "an older server's wait did not end at pollTimeoutSeconds")
    assert untold.page.evaluate("document.body.dataset.errorCode") == "TIMEOUT"


# ---------------------------------------------------------------------------- with the real server's estimate


# The served booth's pace in the queue test: slow enough that three visitors' calls make a queue of most of a minute.
PACE_PER_MINUTE = 12


def only_theme(page: Page, name: str) -> None:
    for option in page.locator("[data-testid=theme-option]").all():
        if option.is_checked() != (option.get_attribute("value") == name):
            page.click(f"[data-testid=theme-chip][data-theme='{option.get_attribute('value')}']")


def visitor_ahead(served: ServedBooth, index: int) -> str:
    status, answer = served.json(
        "POST", "/upload", {"type": "photo", "filename": f"ahead_{index}.jpg", "contentType": "image/jpeg"}
    )
    assert status == 200, answer
    assert isinstance(answer, dict)
    put = served.request(
        "PUT", "", portraits.jpeg_bytes(), {"Content-Type": "image/jpeg"}, url=str(answer["UploadURL"])
    )
    assert put[0] == 200, put
    return str(answer["requestId"])


def phrase_for(answer: dict, date_header: str) -> tuple[str, str]:
    """What the line must say for a server answer, at the moment it was answered and 1 minute-step either side
    (time passes between the answer and the check): the ``visitors ahead`` part and the set of time parts."""
    ahead = int(answer["queueAhead"])
    seconds = (datetime.fromisoformat(answer["expectedReadyAt"]) - parsedate_to_datetime(date_header)).total_seconds()
    minutes = max(1, math.floor(seconds / 60 + 0.5))
    queue = "no one ahead" if ahead == 0 else "1 visitor ahead" if ahead == 1 else f"{ahead} visitors ahead"
    time_part = "less than a minute" if seconds < 50 else "about 1 minute" if minutes == 1 else f"about {minutes}"
    return queue, time_part


def test_a_visitor_behind_a_queue_sees_the_servers_wait_and_its_updates(open_booth, tmp_path: Path) -> None:
    """The real booth with a slowed image model (bench.standin's: 3 s a call, 15 calls a minute allowed) paced at
    80 % of its quota (12 calls a minute: one every 5 s): three visitors with three themes each booked nine calls
    ahead of this one. The line says what GET /photo/{id} answers; as their
    slots pass, the queue moves and the line follows it down, poll after poll, to the pictures. (A queue is made by
    the pace, not by a slow model: with the booth's own pace every request is at the model at once.)"""
    model_log = tmp_path / "model-calls.jsonl"
    slowed_model = standin.environment(
        quota=PACE_PER_MINUTE * 5 // 4, window_seconds=60, call_seconds=3, seed=0, log_path=model_log
    )
    served = start_booth(
        tmp_path / "data",
        tmp_path / "serve.log",
        env={"PHOTOBOOTH_MODEL_CALLS_PER_MINUTE": str(PACE_PER_MINUTE), **slowed_model},
    )
    try:
        ahead = [visitor_ahead(served, i) for i in range(3)]
        booth = open_booth(wait_ready=False)
        page = booth.page
        page.add_init_script(RECORD_THE_WAIT_LINE)
        page.goto(served.url, wait_until="domcontentloaded")
        page.wait_for_function("document.body.dataset.ready === 'true'")
        take_photo(booth)
        only_theme(page, "cosmos")
        consent_and_upload(booth)
        page.wait_for_function("document.body.dataset.requestId")
        request_id = str(page.evaluate("document.body.dataset.requestId"))

        status, headers, raw = served.request("GET", f"/photo/{request_id}")
        answer = json.loads(raw)
        assert status == 200, answer
        assert answer["queueAhead"] >= 1, f"three visitors' nine calls are ahead of this one: {answer}"
        queue, time_part = phrase_for(answer, headers["Date"])
        page.wait_for_function(
            "([sel, queue]) => document.querySelector(sel).textContent.endsWith(queue)",
            arg=[EXPECTED, queue],
            timeout=20_000,
        )
        shown = wait_line(page)
        assert shown.startswith("Ready in "), shown
        minutes_around = {time_part}
        if time_part.startswith("about "):
            n = int(time_part.split()[1])
            minutes_around |= {f"about {n - 1}" if n > 2 else "about 1 minute", f"about {n + 1}"}
        assert any(shown.startswith(f"Ready in {part}") for part in minutes_around), (shown, answer)

        # As the slots of the visitors ahead pass, the server's queue gets shorter, and the page's next poll shows it.
        shown_ahead = int(answer["queueAhead"])
        while shown_ahead > 0:
            deadline = time.monotonic() + 4 * 60 / PACE_PER_MINUTE * 3  # a visitor's three calls, four times over
            while time.monotonic() < deadline:
                _, answer = served.json("GET", f"/photo/{request_id}")
                assert isinstance(answer, dict)
                if "queueAhead" not in answer or answer["queueAhead"] < shown_ahead:
                    break
                time.sleep(0.5)
            moved = "queueAhead" not in answer or answer["queueAhead"] < shown_ahead
            assert moved, f"the queue did not move: {answer}"
            if "queueAhead" not in answer:  # done already
                break
            shown_ahead = int(answer["queueAhead"])
            try:
                page.wait_for_function(
                    "([sel, n]) => Number(document.querySelector(sel).dataset.queueAhead) <= n",
                    arg=[EXPECTED, shown_ahead],
                    timeout=30_000,
                )
            except PlaywrightTimeoutError:
                pytest.fail(f"the server answers {shown_ahead} ahead, the page still says {wait_line(page)!r}")
        outcome = wait_for_outcome(booth)
        assert outcome.get("result") == "SUCCEEDED", f"{outcome}; server log:\n{served.output()[-3000:]}"
        for visitor in ahead:
            assert served.wait_for_terminal(visitor)["status"] == "SUCCEEDED"
        calls, throttled = standin.calls_over_quota(model_log)
        assert (calls, throttled) == (10, 0), "ten pictures, one call each, none over the model's quota"
        lines = page.evaluate("window.__waitLines")
        queues = [int(line["ahead"]) for line in lines if line["ahead"] is not None and not line["hidden"]]
        assert len(set(queues)) >= 2, f"the line never followed the queue: {lines}"
        assert queues == sorted(queues, reverse=True), f"the queue shown went back up: {lines}"
        assert all(line["text"].startswith("Ready in ") for line in lines if line["ahead"] is not None), lines
    finally:
        served.stop()
