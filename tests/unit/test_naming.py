import pytest

from photobooth import naming


@pytest.mark.parametrize("request_id", ["abcdefgh", "A1_b2-C3", "x" * 64, naming.new_request_id()])
def test_valid_request_ids(request_id):
    assert naming.validate_request_id(request_id) == request_id


@pytest.mark.parametrize("request_id", ["short", "x" * 65, "has space1", "slash/abcdef", "dots..abc", None, 12345678])
def test_invalid_request_ids(request_id):
    with pytest.raises(naming.InvalidName):
        naming.validate_request_id(request_id)


@pytest.mark.parametrize(
    "filename", ["", "  ", "../a.jpg", "a/b.jpg", "a\\b.jpg", "tab\tname.jpg", "nul\x00.jpg", "a" * 129, None]
)
def test_unsafe_filenames_are_refused(filename):
    with pytest.raises(naming.InvalidName):
        naming.validate_filename(filename)


def test_keys_follow_the_contract_layout():
    assert naming.photo_key("req-000001", "andy_portrait_2.jpg") == "photo/req-000001/andy_portrait_2.jpg"
    assert (
        naming.generated_key("req-000001", "andy_portrait_2.jpg", 3)
        == "generated/req-000001/photo_andy_portrait_2_3.jpeg"
    )
    assert naming.generated_key("req-000001", "my photo (1).PNG", 1) == "generated/req-000001/photo_my_photo_1_1.jpeg"
    assert naming.generated_key("req-000001", "사진.jpg", 2) == "generated/req-000001/photo_photo_2.jpeg"
    assert naming.work_input_key("req-000001").startswith("work/req-000001/")
    assert naming.request_prefixes("req-000001") == ("photo/req-000001/", "work/req-000001/", "generated/req-000001/")


def test_request_id_comes_from_the_photo_key():
    assert naming.request_id_from_photo_key("photo/req-000001/me.jpg") == "req-000001"
    for key in ("photo/me.jpg", "generated/req-000001/me.jpg", "photo/req-000001/", "photo/a/b/c.jpg"):
        with pytest.raises(naming.InvalidName):
            naming.request_id_from_photo_key(key)


@pytest.mark.parametrize(
    "filename", ["IMG 0001.jpg", "100% a+b.jpg", "사진 1.jpg", "😀 photo.jpg", "a?b#c.jpg", "x%2Fy.jpg", "%2e%2e.jpg"]
)
def test_names_that_phones_produce_are_accepted(filename):
    assert naming.validate_filename(filename) == filename


def test_a_name_is_limited_in_utf8_bytes_not_only_in_characters():
    at_the_limit = "사" * 83 + ".jpg"  # 83 * 3 + 4 = 253 bytes, 87 characters
    assert naming.validate_filename(at_the_limit) == at_the_limit
    over = "사" * 84 + ".jpg"  # 256 bytes in 88 characters: under the character limit, over the byte limit
    with pytest.raises(naming.InvalidName, match="bytes"):
        naming.validate_filename(over)
