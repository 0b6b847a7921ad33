"""GET /wall/photos (issue 10, the event wall) through the real status handler on moto's DynamoDB, with the
sparse "wall" index the local table is created with."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote, urlsplit

from PIL import Image

from photobooth import wall
from tests.support import portraits


def test_the_wall_lists_only_finished_opted_in_pictures_newest_first_without_request_ids(cloud):
    private = cloud.upload(portraits.jpeg_bytes(), filename="private.jpg", themes=["forest"])
    first = cloud.upload(portraits.jpeg_bytes(), filename="first.jpg", themes=["forest"], showOnWall=True)
    second = cloud.upload(portraits.jpeg_bytes(), filename="second.jpg", themes=["cosmos"], showOnWall=True)
    for request_id in (private, first, second):
        cloud.wait_for_terminal(request_id)

    status, wall = cloud.call_api("GET", "/wall/photos")

    assert status == 200 and wall is not None
    assert [photo["theme"] for photo in wall["photos"]] == ["cosmos", "forest"], "newest first, opted in only"
    for photo in wall["photos"]:
        assert re.search(r"/wall/[A-Za-z0-9_-]{16,64}/\d+\.jpeg$", urlsplit(photo["url"]).path), "only wall copies"
    text = str(wall)
    assert all(request_id not in text for request_id in (private, first, second))
    assert "private" not in text and "generated/" not in text and "photo/" not in text
    assert all(set(photo) == {"id", "url", "theme"} for photo in wall["photos"]), "only what the slideshow needs"
    assert cloud.call_api("GET", f"/photo/{first}")[1]["showOnWall"] is True
    assert cloud.call_api("GET", f"/photo/{private}")[1]["showOnWall"] is False


def test_an_erased_request_leaves_the_wall_at_once_with_its_copies(cloud):
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg", themes=["forest"], showOnWall=True)
    cloud.wait_for_terminal(request_id)
    assert len(cloud.call_api("GET", "/wall/photos")[1]["photos"]) == 1
    assert len(cloud.keys("wall/")) == 1

    assert cloud.call_api("DELETE", f"/photo/{request_id}")[0] == 204

    assert cloud.call_api("GET", "/wall/photos")[1]["photos"] == []
    assert cloud.keys("wall/") == [], "erasure leaves no wall copy behind"


def test_the_wall_shows_screen_size_copies_of_opted_in_results_only(cloud):
    private = cloud.upload(portraits.jpeg_bytes(), filename="private.jpg", themes=["forest"])
    shown = cloud.upload(portraits.jpeg_bytes(), filename="shown.jpg", themes=["forest", "cosmos"], showOnWall=True)
    for request_id in (private, shown):
        cloud.wait_for_terminal(request_id)

    copies = cloud.keys("wall/")
    assert len(copies) == 2, "one copy per result of the opted-in request, none of the private one"
    wall_id = copies[0].split("/")[1]
    assert copies == [f"wall/{wall_id}/1.jpeg", f"wall/{wall_id}/2.jpeg"]
    assert wall_id not in (private, shown)
    for key in copies:
        stored = cloud.s3().get_object(Bucket=cloud.bucket, Key=key)
        assert stored["ContentType"] == "image/jpeg"
        with Image.open(stored["Body"]) as copy:
            assert copy.format == "JPEG" and max(copy.size) <= wall.WALL_LONG_SIDE


def test_a_request_still_pending_is_not_on_the_wall_and_the_status_says_until_when_it_is_kept(cloud):
    status, answer = cloud.call_api(
        "POST", "/upload", {"type": "photo", "filename": "me.jpg", "contentType": "image/jpeg", "showOnWall": True}
    )
    assert status == 200 and answer is not None

    assert cloud.call_api("GET", "/wall/photos")[1]["photos"] == []
    record = cloud.call_api("GET", f"/photo/{answer['requestId']}")[1]
    assert record["availableUntil"][:4].isdigit() and record["availableUntil"].endswith("+00:00")


def test_nothing_the_wall_answers_opens_a_visitors_request(cloud):
    """The wall is served without any key, so anyone can read it. Every token in its answer (URL paths and query
    strings included) is tried as a requestId: none may read the visitor's status, whose ``url_original`` is their
    original photo, and none may erase their request."""
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="shown.jpg", themes=["forest"], showOnWall=True)
    cloud.wait_for_terminal(request_id)
    status, wall = cloud.call_api("GET", "/wall/photos")
    assert status == 200 and wall is not None and len(wall["photos"]) == 1

    candidates = set(re.findall(r"[A-Za-z0-9_-]{8,64}", unquote(json.dumps(wall))))
    assert candidates, "the wall answered nothing to try"
    opened = [token for token in candidates if cloud.call_api("GET", f"/photo/{token}")[0] == 200]
    assert opened == [], "the wall's answer reveals an id that reads the visitor's status and original photo"
    erased = [token for token in candidates if cloud.call_api("DELETE", f"/photo/{token}")[0] == 204]
    assert erased == [], "the wall's answer reveals an id that erases the visitor's request"
    assert cloud.call_api("GET", f"/photo/{request_id}")[1]["status"] == "SUCCEEDED"
    assert cloud.keys(f"photo/{request_id}/"), "the visitor's original is still there"
