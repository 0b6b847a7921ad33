"""Two pads at once on ``photobooth serve``: the API functions run in threads of one process there, not in a
Lambda sandbox each, so one call must never see another call's request.

Powertools' resolver keeps the event it is handling in a class attribute (``BaseRouter.current_event``), shared
by every resolver and every thread. Two calls at once could read each other's body or path: a pad's upload named
after another visitor's photo, or one visitor's status answered to another's poll."""

from __future__ import annotations

import sys
import threading

ROUNDS = 60


def test_concurrent_uploads_and_polls_each_get_their_own_answer(cloud):
    polled = "polled-request-0001"
    body = {"type": "photo", "filename": "polled.jpg", "contentType": "image/jpeg", "requestId": polled}
    status, answer = cloud.call_api("POST", "/upload", body)
    assert status == 200, answer
    mixed_up: list[str] = []

    def uploads(pad: int) -> None:
        for round_ in range(ROUNDS):
            name = f"pad{pad}-visitor{round_}.jpg"
            code, answer = cloud.call_api(
                "POST", "/upload", {"type": "photo", "filename": name, "contentType": "image/jpeg"}
            )
            if code != 200 or not answer["Key"].endswith("/" + name):
                mixed_up.append(f"upload {name}: {code} {answer}")

    def polls() -> None:
        for _ in range(ROUNDS * 2):
            code, answer = cloud.call_api("GET", f"/photo/{polled}")
            if code != 200 or answer.get("requestId") != polled:
                mixed_up.append(f"poll {polled}: {code} {answer}")

    threads = [threading.Thread(target=uploads, args=(pad,)) for pad in range(3)]
    threads += [threading.Thread(target=polls) for _ in range(4)]
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: a race that exists shows up every run
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch_interval)

    assert mixed_up == []
