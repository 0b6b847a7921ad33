"""A pad written against the seed's API works unchanged (issue 12).

The seed's README documents three calls (kyopark2014/demo-ai-dansing-robot, photo-booth/README.md, "Image upload"):
``POST /upload`` with a JSON body, ``PUT`` of the photo to the ``UploadURL`` it answered, then ``POST /photo``
with the pad's own ``requestId`` and the ``bucket``/``key`` of the upload answer, whose answer holds the pictures.
This replays those calls byte for byte against ``photobooth serve`` over real HTTP, with and without the seed's
upload envelope.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlparse

import pytest

from tests.support import portraits
from tests.support.server import start_booth

pytestmark = pytest.mark.slow

# The request bodies exactly as the seed's README prints them (indentation and line breaks included).
SEED_UPLOAD_BODY = b'{\n  "type": "photo",\n  "filename": "andy_portrait_2.jpg",\n  "contentType": "image/jpeg"\n}'
# The local server takes JSON only (another web page could send a form or text/plain without asking first).
JSON = {"Content-Type": "application/json"}
SEED_PHOTO_BODY = '{{\n    "requestId": "b123456abc",\n    "bucket": "{bucket}",\n    "key": "{key}"\n}}'


@pytest.fixture(scope="module", params=[(), ("--seed-compat",)], ids=["plain-answer", "seed-envelope"])
def booth(request, tmp_path_factory):
    base = tmp_path_factory.mktemp("seed-pad")
    served = start_booth(base / "data", base / "serve.log", extra_args=request.param)
    served.envelope = bool(request.param)
    yield served
    served.stop()


def test_the_seed_documents_three_calls_give_the_pictures_in_the_post_photo_answer(booth):
    status, _, raw = booth.request("POST", "/upload", SEED_UPLOAD_BODY, JSON)
    assert status == 200, raw
    answer = json.loads(raw)
    if booth.envelope:  # the seed's page ran JSON.parse(response.body)
        assert answer["statusCode"] == 200 and isinstance(answer["body"], str)
        answer = json.loads(answer["body"])
    assert answer["Key"].endswith("/andy_portrait_2.jpg") and answer["Expires"] == 300

    put_status, _, _ = booth.request(
        "PUT", "", portraits.jpeg_bytes(), {"Content-Type": "image/jpeg"}, url=answer["UploadURL"]
    )
    assert put_status == 200

    body = SEED_PHOTO_BODY.format(bucket=answer["Bucket"], key=answer["Key"]).encode()
    status, _, raw = booth.request("POST", "/photo", body, JSON)

    assert status == 200, raw
    result = json.loads(raw)
    assert result["status"] == "SUCCEEDED" and result["requestId"] == answer["requestId"]
    assert isinstance(result["time_taken"], float) and result["time_taken"] > 0
    assert len(result["url"]) == 3
    names = [urlparse(url).path.rsplit("/", 1)[-1] for url in result["url"]]
    assert names == [f"photo_andy_portrait_2_{i}.jpeg" for i in (1, 2, 3)]
    for url in result["url"]:
        fetched, headers, data = booth.request("GET", "", url=url)
        assert fetched == 200 and headers["Content-Type"] == "image/jpeg" and data[:3] == b"\xff\xd8\xff"

    status, _, raw = booth.request("GET", "/photo/b123456abc")  # the pad's own id answers too
    assert status == 200 and json.loads(raw)["requestId"] == answer["requestId"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{8,64}", answer["requestId"])
