from photobooth.local.server import status_line

RECORD = {"requestId": "req-000001", "status": "PROCESSING", "themeList": "a,b", "images": {}}


def test_one_line_per_state_change_and_per_finished_image():
    assert status_line(RECORD, None) == "[F853RQ] req-000001 PROCESSING"
    one = {**RECORD, "images": {"2": {"index": 2, "theme": "b", "status": "SUCCEEDED"}}}
    assert status_line(one, RECORD) == "[F853RQ] req-000001 image 2/2 b SUCCEEDED"
    assert status_line(one, one) is None  # nothing changed
    failed = {**one, "status": "FAILED", "errorCode": "NO_FACE", "timeTaken": 3.25}
    assert status_line(failed, one) == "[F853RQ] req-000001 FAILED NO_FACE in 3.2s"
    assert status_line(None, failed) == "[F853RQ] req-000001 ERASED"


def test_an_alias_is_named_with_its_request_once():
    alias = {"requestId": "seedpad-0001", "aliasOf": "req-000001", "expiresAt": 4102444800}

    assert status_line(alias, None) == "seedpad-0001 alias of [F853RQ] req-000001"
    assert status_line(alias, alias) is None  # the same pad starting its upload again
