"""GET /photo/{id} answers the request's cost estimate once it is terminal, and never before (CONTRACT.md)."""

from __future__ import annotations

import time

import pytest

from photobooth.cost import Prices
from tests.support import portraits
from tests.support.cloud import TERMINAL, Cloud

BREAKDOWN = {"bedrock", "rekognition", "lambda", "stepfunctions", "sagemaker"}


def _answers_until_terminal(cloud: Cloud, request_id: str, timeout: float = 60.0) -> list[dict]:
    answers: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, answer = cloud.call_api("GET", f"/photo/{request_id}")
        assert status == 200, answer
        answers.append(answer)
        if answer["status"] in TERMINAL:
            return answers
        time.sleep(0.05)
    raise AssertionError(f"request {request_id} not finished within {timeout}s; last answer: {answers[-1:]}")


def _transitions(cloud: Cloud, answer: dict) -> int:
    """The states the run entered, counted once it has ended: the record is terminal one or two states before the
    run is (CI once counted five of the six states a photo without a face passes)."""
    cloud.wait_for_executions(1)
    return len(cloud.visited_states(answer["executionArn"]))


def test_the_cost_appears_with_the_terminal_status_and_not_before(cloud):
    code, upload = cloud.call_api(
        "POST", "/upload", {"type": "photo", "filename": "me.jpg", "contentType": "image/jpeg"}
    )
    assert code == 200
    pending = cloud.call_api("GET", f"/photo/{upload['requestId']}")[1]
    assert pending["status"] == "PENDING_UPLOAD" and "cost" not in pending

    cloud.s3().put_object(
        Bucket=cloud.bucket, Key=upload["Key"], Body=portraits.jpeg_bytes(), ContentType="image/jpeg"
    )
    answers = _answers_until_terminal(cloud, upload["requestId"])

    assert all("cost" not in answer for answer in answers[:-1])
    final = answers[-1]
    assert final["status"] == "SUCCEEDED", final
    cost = final["cost"]
    assert set(cost) == {"usd", "breakdown", "pricesAsOf"} and set(cost["breakdown"]) == BREAKDOWN
    assert cost["pricesAsOf"] == Prices().prices_as_of.isoformat()
    assert cost["usd"] == pytest.approx(sum(cost["breakdown"].values()), abs=1e-6)
    # Three themes, each priced as the first configured model would charge on AWS.
    # Moderation, faces and eyewear on the photo, and a moderation check of each of the three painted images.
    assert cost["breakdown"]["bedrock"] > 0 and cost["breakdown"]["rekognition"] == pytest.approx((3 + 3) * 0.001)
    # The transitions counted from the ASL are the states the engine really entered.
    assert cost["breakdown"]["stepfunctions"] == pytest.approx(_transitions(cloud, final) * 0.000025)


def test_a_photo_without_a_face_costs_no_image(cloud):
    request_id = cloud.upload(portraits.jpeg_bytes(portraits.cat()), filename="cat.jpg")

    final = _answers_until_terminal(cloud, request_id)[-1]

    assert final["status"] == "FAILED" and final["error"]["code"] == "NO_FACE"
    breakdown = final["cost"]["breakdown"]
    assert breakdown["bedrock"] == 0 and breakdown["rekognition"] == pytest.approx(2 * 0.001)  # moderation, faces
    assert breakdown["stepfunctions"] == pytest.approx(_transitions(cloud, final) * 0.000025)
