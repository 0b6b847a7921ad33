"""A seed-era pad's own id (an alias made by ``POST /photo``) against a real ``photobooth serve``, as a careless
second pad and a hostile visitor use it (issue 18, defects 1 and 2, and the small ones)."""

from __future__ import annotations

import secrets

import pytest

from tests.reliability.conftest import upload
from tests.support.server import ServedBooth

pytestmark = pytest.mark.slow

# The workflow only has to end, not to paint: bytes that are no image fail at once (INVALID_IMAGE).
NOT_AN_IMAGE = b"\xff\xd8 these bytes are not a photo"


def _uploaded(booth: ServedBooth) -> dict:
    answer = upload(booth)
    put, _, _ = booth.request("PUT", "", NOT_AN_IMAGE, {"Content-Type": "image/jpeg"}, url=answer["UploadURL"])
    assert put == 200
    return answer


def _start(booth: ServedBooth, pad_id: str | None, uploaded: dict, **extra: object) -> tuple[int, dict]:
    body: dict = {"bucket": uploaded["Bucket"], "key": uploaded["Key"], "wait": 0, **extra}
    if pad_id is not None:
        body["requestId"] = pad_id
    status, answer = booth.json("POST", "/photo", body)
    return status, answer  # type: ignore[return-value]


def _pad_id() -> str:
    return f"seedpad-{secrets.token_hex(4)}"


def test_a_second_pad_cannot_repoint_an_alias_and_erase_someone_elses_request(booth: ServedBooth) -> None:
    first, second = _uploaded(booth), _uploaded(booth)
    pad_id = _pad_id()
    assert _start(booth, pad_id, first)[0] in (200, 202)

    status, answer = _start(booth, pad_id, second)

    assert status == 409, answer  # CONTRACT.md's code for a taken id
    assert pad_id in answer["message"] and "another request" in answer["message"], answer
    assert booth.json("GET", f"/photo/{pad_id}")[1]["requestId"] == first["requestId"]  # type: ignore[index]
    # The pad that made the alias erases its own request through it, and only that one.
    assert booth.request("DELETE", f"/photo/{pad_id}")[0] == 204
    assert booth.json("GET", f"/photo/{first['requestId']}")[0] == 404
    assert booth.json("GET", f"/photo/{second['requestId']}")[0] == 200


def test_the_same_pad_starting_its_own_upload_twice_keeps_its_alias(booth: ServedBooth) -> None:
    uploaded = _uploaded(booth)
    pad_id = _pad_id()
    assert _start(booth, pad_id, uploaded)[0] in (200, 202)

    again, answer = _start(booth, pad_id, uploaded)

    assert again in (200, 202), answer  # a retry after a lost answer is no conflict
    assert booth.json("GET", f"/photo/{pad_id}")[1]["requestId"] == uploaded["requestId"]  # type: ignore[index]


def test_an_alias_cannot_take_a_real_requests_id(booth: ServedBooth) -> None:
    someone, mine = _uploaded(booth), _uploaded(booth)

    status, answer = _start(booth, someone["requestId"], mine)

    assert status == 409, answer
    assert booth.json("GET", f"/photo/{someone['requestId']}")[1]["requestId"] == someone["requestId"]  # type: ignore[index]


def test_a_pad_reusing_its_id_after_an_erasure_is_told_so(booth: ServedBooth) -> None:
    pad_id = _pad_id()
    assert _start(booth, pad_id, _uploaded(booth))[0] in (200, 202)
    assert booth.request("DELETE", f"/photo/{pad_id}")[0] == 204

    status, answer = _start(booth, pad_id, _uploaded(booth))

    assert status == 409, answer
    assert "erased" in answer["message"] and "new" in answer["message"], answer


def test_starting_an_erased_request_again_answers_404(booth: ServedBooth) -> None:
    uploaded = _uploaded(booth)
    assert booth.request("DELETE", f"/photo/{uploaded['requestId']}")[0] == 204

    status, answer = _start(booth, None, uploaded)

    assert status == 404, answer  # CONTRACT.md: erasure is final, "a tombstone, reported as 404"
    assert "erased" in answer["message"], answer


@pytest.mark.parametrize("field", ["requestId", "id"])
def test_an_empty_pad_id_is_refused(booth: ServedBooth, field: str) -> None:
    uploaded = _uploaded(booth)

    status, answer = _start(booth, None, uploaded, **{field: ""})

    assert status == 400, answer
    assert field in answer["message"], answer


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_a_trailing_newline_does_not_reach_the_request(booth: ServedBooth, method: str) -> None:
    uploaded = _uploaded(booth)

    status, _, raw = booth.request(method, f"/photo/{uploaded['requestId']}%0A")

    assert status == 404, raw
    assert booth.json("GET", f"/photo/{uploaded['requestId']}")[0] == 200  # not erased


def test_the_console_names_an_alias_and_its_request(booth: ServedBooth) -> None:
    uploaded = _uploaded(booth)
    pad_id = _pad_id()

    assert _start(booth, pad_id, uploaded)[0] in (200, 202)

    lines = [line for line in booth.output().splitlines() if pad_id in line]
    assert lines, booth.output()
    assert not any("None" in line for line in lines), lines
    assert any(uploaded["requestId"] in line for line in lines), lines
