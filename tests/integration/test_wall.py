"""GET /wall/photos (issue 10, the event wall) through the real status handler on moto's DynamoDB, with the
sparse "wall" index the local table is created with."""

from __future__ import annotations

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
    assert f"/generated/{second}/" in wall["photos"][0]["url"]
    assert f"/generated/{first}/" in wall["photos"][1]["url"]
    text = str(wall)
    assert private not in text and "private" not in text
    assert all(set(photo) == {"id", "url", "theme"} for photo in wall["photos"]), "only what the slideshow needs"
    assert cloud.call_api("GET", f"/photo/{first}")[1]["showOnWall"] is True
    assert cloud.call_api("GET", f"/photo/{private}")[1]["showOnWall"] is False


def test_an_erased_request_leaves_the_wall_at_once(cloud):
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg", themes=["forest"], showOnWall=True)
    cloud.wait_for_terminal(request_id)
    assert len(cloud.call_api("GET", "/wall/photos")[1]["photos"]) == 1

    assert cloud.call_api("DELETE", f"/photo/{request_id}")[0] == 204

    assert cloud.call_api("GET", "/wall/photos")[1]["photos"] == []


def test_a_request_still_pending_is_not_on_the_wall_and_the_status_says_until_when_it_is_kept(cloud):
    status, answer = cloud.call_api(
        "POST", "/upload", {"type": "photo", "filename": "me.jpg", "contentType": "image/jpeg", "showOnWall": True}
    )
    assert status == 200 and answer is not None

    assert cloud.call_api("GET", "/wall/photos")[1]["photos"] == []
    record = cloud.call_api("GET", f"/photo/{answer['requestId']}")[1]
    assert record["availableUntil"][:4].isdigit() and record["availableUntil"].endswith("+00:00")
