"""The pure image domain: reading uploads safely, coordinates, masks, paste-back and encoding."""

from __future__ import annotations

import dataclasses
import io
import json
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms

from photobooth import imaging
from photobooth.errors import ImageTooLarge, InvalidImage, UnsupportedImageType
from photobooth.imaging import Transform
from photobooth.models import Box
from tests.support import portraits

LIMITS = {"max_bytes": 15 * 1024 * 1024, "max_pixels": 40_000_000}
RED = (230, 20, 20)
GREY = (128, 128, 128)
ASTRONAUT_FACE = Box(x0=177, y0=66, x1=272, y1=161)  # found by OpenCV's Haar cascade on the 512x512 photo


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def crafted_png(width: int, height: int) -> bytes:
    """A valid PNG header declaring ``width`` x ``height`` RGB pixels, followed by almost no pixel data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + _png_chunk(b"IEND", b"")
    )


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) is patched to declare another size."""
    data = bytearray(portraits.jpeg_bytes(Image.new("RGB", (16, 16), GREY)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def normalise(data: bytes, **overrides: int) -> tuple[Image.Image, Transform]:
    return imaging.normalise(data, **{**LIMITS, **overrides})


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image).astype(np.int16)


@pytest.fixture(scope="module")
def astronaut_4000x3000() -> tuple[Image.Image, bytes]:
    image = portraits.astronaut().resize((4000, 3000))
    return image, portraits.jpeg_bytes(image, quality=80)


# ---------------------------------------------------------------------------------------------------------------
# normalise: orientation, colour modes, geometry


def _marked_jpeg(size: tuple[int, int], orientation: int) -> bytes:
    """Grey photo with a red block in its stored top-left corner, tagged with an EXIF orientation."""
    image = Image.new("RGB", size, GREY)
    image.paste(RED, (0, 0, size[0] // 5, size[1] // 5))
    exif = Image.Exif()
    exif[0x0112] = orientation
    return portraits.encode(image, "JPEG", quality=95, exif=exif)


def _is_red(pixel: np.ndarray) -> bool:
    return bool(pixel[0] > 180 and pixel[1] < 80 and pixel[2] < 80)


@pytest.mark.parametrize(
    ("orientation", "upright_size", "red_corner"),
    [
        (1, (200, 100), "top-left"),
        (3, (200, 100), "bottom-right"),
        (6, (100, 200), "top-right"),
        (8, (100, 200), "bottom-left"),
    ],
)
def test_exif_orientation_is_applied(orientation: int, upright_size: tuple[int, int], red_corner: str) -> None:
    working, transform = normalise(_marked_jpeg((200, 100), orientation))

    assert transform.original_size == upright_size
    assert transform.content_size == upright_size
    content = np.asarray(transform.crop_to_content(working))
    w, h = upright_size
    corners = {"top-left": content[5, 5], "top-right": content[5, w - 6], "bottom-left": content[h - 6, 5]}
    corners["bottom-right"] = content[h - 6, w - 6]
    assert {name for name, pixel in corners.items() if _is_red(pixel)} == {red_corner}


def test_exif_orientation_with_downscaling_keeps_the_upright_aspect() -> None:
    working, transform = normalise(_marked_jpeg((2000, 1000), 6))

    assert transform.original_size == (1000, 2000)
    assert transform.content_size == (512, 1024)
    assert working.size == (512, 1024)
    content = np.asarray(working)
    assert _is_red(content[10, 500]) and not _is_red(content[10, 10])


def test_multi_picture_jpeg_from_a_phone_is_read_as_its_first_picture() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), RED).save(buffer, "MPO", save_all=True, append_images=[Image.new("RGB", (64, 48))])

    working, transform = normalise(buffer.getvalue())

    assert transform.content_size == (64, 48)
    assert _is_red(np.asarray(working)[10, 10])


def _encoded(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    return portraits.encode(image, fmt, **options)


def _palette_with_transparency() -> bytes:
    image = Image.new("P", (64, 64), 0)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    image.paste(1, (0, 0, 32, 64))
    return _encoded(image, transparency=1)


def _sixteen_bit_grey() -> bytes:
    ramp = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (64, 1))
    ramp[:8, :8] = 128 * 257
    return _encoded(Image.fromarray(ramp))


@pytest.mark.parametrize(
    ("data", "probes"),
    [
        pytest.param(
            _palette_with_transparency(), {(50, 5): (255, 0, 0), (5, 5): (255, 255, 255)}, id="P+transparency"
        ),
        pytest.param(_encoded(Image.new("L", (64, 64), 100)), {(5, 5): (100, 100, 100)}, id="L"),
        pytest.param(_encoded(Image.new("LA", (64, 64), (50, 0))), {(5, 5): (255, 255, 255)}, id="LA-clear"),
        pytest.param(_encoded(Image.new("LA", (64, 64), (50, 255))), {(5, 5): (50, 50, 50)}, id="LA-opaque"),
        pytest.param(_encoded(Image.new("RGBA", (64, 64), (255, 0, 0, 128))), {(5, 5): (255, 127, 127)}, id="RGBA"),
        pytest.param(_encoded(Image.new("RGBA", (64, 64), (0, 0, 0, 0))), {(5, 5): (255, 255, 255)}, id="RGBA-clear"),
        pytest.param(
            _encoded(Image.new("CMYK", (64, 64), (0, 255, 255, 0)), "JPEG"), {(5, 5): (255, 0, 0)}, id="CMYK"
        ),
        pytest.param(
            _sixteen_bit_grey(), {(3, 3): (128, 128, 128), (63, 20): (255, 255, 255), (0, 20): (0, 0, 0)}, id="I;16"
        ),
        pytest.param(_encoded(Image.new("1", (64, 64), 1)), {(5, 5): (255, 255, 255)}, id="1-bit"),
    ],
)
def test_colour_modes_become_rgb(data: bytes, probes: dict[tuple[int, int], tuple[int, int, int]]) -> None:
    working, _ = normalise(data)

    assert working.mode == "RGB"
    for (x, y), expected in probes.items():
        assert np.abs(pixels(working)[y, x] - np.array(expected)).max() <= 3, (x, y)


def test_sixteen_bit_grey_keeps_its_tones() -> None:
    working, _ = normalise(_sixteen_bit_grey())

    row = pixels(working)[32, :, 0]
    assert np.all(np.diff(row) >= 0)  # Pillow's own conversion would clip most of the ramp to 255
    assert row[32] == pytest.approx(130, abs=2)


def test_an_srgb_profile_or_a_broken_profile_leaves_the_photo_as_it_is() -> None:
    photo = portraits.astronaut()
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()

    for icc in (srgb, b"not an icc profile"):
        working, _ = normalise(_encoded(photo, icc_profile=icc))
        assert np.array_equal(np.asarray(working), np.asarray(photo))


@pytest.mark.parametrize("size", [(4000, 3000), (3000, 4000), (700, 300), (300, 700), (1024, 1024), (1500, 1)])
def test_aspect_ratio_is_kept_and_sides_are_multiples_of_64(size: tuple[int, int]) -> None:
    original = portraits.astronaut().resize(size)
    working, transform = normalise(portraits.png_bytes(original) if min(size) < 8 else portraits.jpeg_bytes(original))

    content_w, content_h = transform.content_size
    assert transform.original_size == size
    assert max(transform.content_size) == min(1024, max(size))
    assert content_w / content_h == pytest.approx(size[0] / size[1], rel=1.0 / min(content_w, content_h))
    assert working.size == transform.working_size
    assert all(
        side % 64 == 0 and 0 <= side - c < 64 for side, c in zip(working.size, transform.content_size, strict=True)
    )
    assert max(working.size) <= 1024


def test_large_photo_is_scaled_not_squashed_nor_cropped(astronaut_4000x3000: tuple[Image.Image, bytes]) -> None:
    original, data = astronaut_4000x3000
    working, transform = normalise(data)

    assert transform.scale == pytest.approx(1024 / 4000)
    assert transform.content_size == (1024, 768)
    assert working.size == (1024, 768)
    expected = pixels(original.resize((1024, 768), Image.Resampling.LANCZOS))
    assert np.abs(pixels(working) - expected).mean() < 4


def test_padding_repeats_the_edge_and_leaves_the_photo_untouched() -> None:
    photo = portraits.grace_hopper()  # 512x600: no scaling, padded to 512x640
    data = portraits.jpeg_bytes(photo)
    decoded = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))

    working, transform = normalise(data)

    assert (transform.scale, transform.content_size, transform.working_size) == (1.0, (512, 600), (512, 640))
    result = np.asarray(working)
    assert np.array_equal(result[:600], decoded)
    assert np.array_equal(result[600:], np.repeat(decoded[599:600], 40, axis=0))
    assert np.array_equal(np.asarray(transform.crop_to_content(working)), decoded)


def test_small_images_are_not_upscaled() -> None:
    working, transform = normalise(portraits.png_bytes(portraits.cat().resize((300, 200))))

    assert transform.scale == 1.0
    assert transform.content_size == (300, 200)
    assert working.size == (320, 256)


# ---------------------------------------------------------------------------------------------------------------
# Transform


def test_face_box_maps_exactly_for_a_power_of_two_scale() -> None:
    _, transform = normalise(portraits.png_bytes(portraits.astronaut().resize((2048, 2048))))

    in_original = Box(x0=354, y0=132, x1=544, y1=322)
    assert transform.scale == 0.5
    assert transform.to_working(in_original) == ASTRONAUT_FACE
    assert transform.to_original(ASTRONAUT_FACE) == in_original


@pytest.mark.parametrize(
    "box",
    [Box(x0=0, y0=0, x1=1, y1=1), Box(x0=1234, y0=567, x1=2345, y1=1678), Box(x0=3999, y0=2999, x1=4000, y1=3000)],
)
def test_box_round_trip_covers_the_box_within_one_working_pixel(box: Box) -> None:
    transform = Transform(original_size=(4000, 3000), scale=0.256, content_size=(1024, 768), working_size=(1024, 768))

    back = transform.to_original(transform.to_working(box))

    slack = 1 / transform.scale + 1
    assert back.x0 <= box.x0 and back.y0 <= box.y0 and back.x1 >= box.x1 and back.y1 >= box.y1
    assert box.x0 - back.x0 <= slack and back.x1 - box.x1 <= slack
    assert box.y0 - back.y0 <= slack and back.y1 - box.y1 <= slack


def test_boxes_are_clipped_to_the_photo_not_the_padding() -> None:
    transform = Transform(original_size=(700, 300), scale=1.0, content_size=(700, 300), working_size=(704, 320))

    assert transform.to_working(Box(x0=650, y0=250, x1=900, y1=900)) == Box(x0=650, y0=250, x1=700, y1=300)
    assert transform.to_original(Box(x0=690, y0=0, x1=704, y1=320)) == Box(x0=690, y0=0, x1=700, y1=300)


def test_transform_survives_a_json_round_trip() -> None:
    transform = Transform(original_size=(4000, 3000), scale=0.256, content_size=(1024, 768), working_size=(1024, 768))

    again = Transform(**json.loads(json.dumps(dataclasses.asdict(transform))))

    assert again == transform
    assert again.working_size == (1024, 768)


def test_crop_to_content_refuses_an_image_of_another_size() -> None:
    transform = Transform(original_size=(700, 300), scale=1.0, content_size=(700, 300), working_size=(704, 320))

    assert transform.crop_to_content(Image.new("RGB", (704, 320))).size == (700, 300)
    with pytest.raises(ValueError, match="working size"):
        transform.crop_to_content(Image.new("RGB", (700, 300)))


# ---------------------------------------------------------------------------------------------------------------
# normalise: refusals


def _assert_short_message(exc: Exception) -> None:
    message = str(exc)
    assert 0 < len(message) < 160 and "\\x" not in message and "\x00" not in message


def test_more_bytes_than_allowed_is_too_large() -> None:
    data = portraits.jpeg_bytes()

    assert normalise(data, max_bytes=len(data))[0].size == (512, 512)
    with pytest.raises(ImageTooLarge) as caught:
        normalise(data, max_bytes=len(data) - 1)
    _assert_short_message(caught.value)


@pytest.mark.parametrize(
    ("data", "max_pixels"),
    [
        pytest.param(crafted_png(7000, 7000), 40_000_000, id="png-header-over-limit"),
        pytest.param(crafted_png(100_000, 100_000), 40_000_000, id="png-header-beyond-pillow-bomb-error"),
        pytest.param(crafted_png(10_000, 10_000), 10**12, id="png-header-beyond-pillow-bomb-warning"),
        pytest.param(jpeg_declaring(8000, 8000), 40_000_000, id="jpeg-sof-over-limit"),
        pytest.param(jpeg_declaring(60_000, 60_000), 40_000_000, id="jpeg-sof-beyond-pillow-bomb-error"),
        pytest.param(portraits.png_bytes(portraits.astronaut()), 512 * 512 - 1, id="real-image-one-pixel-over"),
    ],
)
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_declared_pixel_count_over_the_limit_is_refused_before_decoding(data: bytes, max_pixels: int) -> None:
    # The crafted files hold almost no pixel data: decoding them would fail as InvalidImage, not ImageTooLarge.
    with pytest.raises(ImageTooLarge) as caught:
        normalise(data, max_pixels=max_pixels)
    _assert_short_message(caught.value)


def test_exactly_max_pixels_is_accepted() -> None:
    working, _ = normalise(portraits.png_bytes(portraits.astronaut()), max_pixels=512 * 512)

    assert working.size == (512, 512)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "BMP", "TIFF"])
def test_other_image_formats_are_unsupported(fmt: str) -> None:
    with pytest.raises(UnsupportedImageType) as caught:
        normalise(portraits.encode(portraits.cat(), fmt))
    _assert_short_message(caught.value)


@pytest.mark.parametrize("brand", [b"heic", b"mif1", b"avif"])
def test_heif_and_avif_are_unsupported(brand: bytes) -> None:
    data = b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x00\x00mif1heic" + b"\x00" * 200

    with pytest.raises(UnsupportedImageType, match="not supported"):
        normalise(data)


def _corrupt_png() -> bytes:
    data = bytearray(portraits.png_bytes(portraits.cat()))
    idat = data.index(b"IDAT")
    data[idat + 100 : idat + 140] = b"\x00" * 40
    return bytes(data)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(np.random.default_rng(3).bytes(5000), id="garbage"),
        pytest.param(b"hello, this is not a photo", id="text"),
        pytest.param(portraits.jpeg_bytes()[:4000], id="truncated-jpeg"),
        pytest.param(portraits.png_bytes(portraits.cat())[:5000], id="truncated-png"),
        pytest.param(_corrupt_png(), id="corrupt-png"),
        pytest.param(b"\xff\xd8\xff\xe0" + b"\x00" * 100, id="jpeg-magic-only"),
    ],
)
def test_unreadable_data_is_invalid(data: bytes) -> None:
    with pytest.raises(InvalidImage) as caught:
        normalise(data)
    _assert_short_message(caught.value)


# ---------------------------------------------------------------------------------------------------------------
# Encoding


def test_encode_jpeg_is_a_baseline_rgb_jpeg_without_metadata() -> None:
    photo = portraits.astronaut().convert("RGBA")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # camera make
    tagged = Image.open(io.BytesIO(portraits.encode(photo.convert("RGB"), "JPEG", exif=exif, comment=b"visitor 42")))
    assert "exif" in tagged.info and "comment" in tagged.info  # the input really carries metadata

    for image in (tagged, photo):
        data = imaging.encode_jpeg(image)

        assert data[:3] == b"\xff\xd8\xff" and data[-2:] == b"\xff\xd9"
        assert b"\xff\xc0" in data and b"\xff\xc2" not in data  # SOF0 baseline, not progressive
        assert b"\xff\xe1" not in data and b"SecretCam" not in data and b"visitor 42" not in data
        decoded = Image.open(io.BytesIO(data))
        assert (decoded.format, decoded.mode, decoded.size) == ("JPEG", "RGB", (512, 512))
        assert len(decoded.getexif()) == 0
        assert np.abs(pixels(decoded) - pixels(image.convert("RGB"))).mean() < 3


def test_encode_png_is_lossless_and_drops_the_colour_profile() -> None:
    photo = portraits.astronaut().copy()
    photo.info["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()

    decoded = Image.open(io.BytesIO(imaging.encode_png(photo)))

    assert decoded.format == "PNG"
    assert "icc_profile" not in decoded.info
    assert np.array_equal(np.asarray(decoded), np.asarray(photo))


def test_the_working_image_is_handed_on_uncompressed_and_lossless() -> None:
    # Given the working image with a colour profile and a comment, as a phone's photo may carry
    photo = portraits.astronaut().copy()
    photo.info["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    photo.info["comment"] = b"visitor 42"

    # When it is encoded for the segment and generate steps
    data = imaging.encode_working_image(photo)

    # Then it is a raw TIFF (no compression to pay for at each read), every pixel survives, nothing else does
    decoded = Image.open(io.BytesIO(data))
    assert (decoded.format, decoded.mode, decoded.info.get("compression")) == ("TIFF", "RGB", "raw")
    assert np.array_equal(np.asarray(decoded), np.asarray(photo))
    assert "icc_profile" not in decoded.info and b"visitor 42" not in data
    assert len(data) < photo.width * photo.height * 3 + 4096  # pixels plus a small header


def _zlib_level(png: bytes) -> int:
    """The compression level a PNG's first IDAT stream declares (FLEVEL bits of the zlib header, RFC 1950)."""
    start = png.index(b"IDAT") + 4
    return png[start + 1] >> 6


def test_hand_off_pngs_use_fast_compression_and_stay_lossless() -> None:
    # Given a working-size photo with camera-like noise and a soft mask
    rng = np.random.default_rng(3)
    photo = np.clip(pixels(portraits.astronaut().resize((1024, 1024))) + rng.normal(0, 4, (1024, 1024, 3)), 0, 255)
    image = Image.fromarray(photo.astype(np.uint8))
    mask = cv2.GaussianBlur(_person_mask(), (0, 0), 3)

    # When both are encoded for the next step
    photo_png, mask_png = imaging.encode_png(image), imaging.encode_mask_png(mask)

    # Then zlib's fastest level is declared (FLEVEL 0 = "fastest", RFC 1950 section 2.2) and every pixel survives
    assert _zlib_level(photo_png) == 0 and _zlib_level(mask_png) == 0
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(photo_png))), np.asarray(image))
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(mask_png))), mask)


# ---------------------------------------------------------------------------------------------------------------
# Masks


def _person_mask() -> np.ndarray:
    mask = np.zeros((300, 400), dtype=np.uint8)
    cv2.ellipse(mask, (150, 160), (60, 110), 0, 0, 360, 255, thickness=-1)
    return mask


def test_mask_png_round_trip_keeps_values_and_polarity() -> None:
    mask = _person_mask()

    data = imaging.encode_mask_png(mask)

    assert Image.open(io.BytesIO(data)).mode == "L"
    decoded = imaging.decode_mask_png(data)
    assert decoded.dtype == np.uint8
    assert np.array_equal(decoded, mask)
    assert decoded[160, 150] == 255 and decoded[5, 5] == 0


def test_encode_mask_png_stores_soft_values_as_they_are() -> None:
    soft = np.tile(np.arange(256, dtype=np.uint8), (4, 1))

    assert np.array_equal(np.asarray(Image.open(io.BytesIO(imaging.encode_mask_png(soft)))), soft)
    assert np.array_equal(imaging.decode_mask_png(imaging.encode_mask_png(soft))[0], np.where(soft[0] >= 128, 255, 0))


@pytest.mark.parametrize("mode", ["1", "RGB", "RGBA", "L"])
def test_decode_mask_png_accepts_other_modes(mode: str) -> None:
    mask = _person_mask()
    data = portraits.png_bytes(Image.fromarray(mask).convert(mode))

    assert np.array_equal(imaging.decode_mask_png(data), mask)


def test_decode_mask_png_resizes_with_nearest_neighbour() -> None:
    mask = _person_mask()

    resized = imaging.decode_mask_png(imaging.encode_mask_png(mask), size=(800, 600))

    assert resized.shape == (600, 800)
    assert set(np.unique(resized)) == {0, 255}
    assert np.array_equal(resized[::2, ::2], mask)


def test_decode_mask_png_refuses_garbage_with_value_error() -> None:
    with pytest.raises(ValueError, match="mask"):
        imaging.decode_mask_png(b"not a png")


def test_a_face_is_the_oval_inside_its_box() -> None:
    face = Box(x0=20, y0=10, x1=60, y1=70)  # 40 x 60, centre (40, 40)

    mask = imaging.faces_mask([face], (100, 80))

    assert mask.shape == (80, 100) and mask.dtype == np.uint8
    inside = mask == 255
    assert inside[40, 40] and inside[10, 40] and inside[69, 40] and inside[40, 20] and inside[40, 59]
    for y, x in ((10, 20), (10, 59), (69, 20), (69, 59), (15, 24)):  # the box's corners are left out
        assert not inside[y, x]
    assert not inside[:10].any() and not inside[70:].any() and not inside[:, :20].any() and not inside[:, 60:].any()
    assert abs(inside.sum() - np.pi * 20 * 30) < 0.02 * np.pi * 20 * 30


def test_a_face_cut_by_the_frame_keeps_the_part_inside() -> None:
    mask = imaging.faces_mask([Box(x0=-20, y0=0, x1=20, y1=40), Box(x0=5, y0=5, x1=5, y1=9)], (30, 30))

    assert mask[20, 0] == 255 and mask[20, 19] == 255 and mask[20, 20] == 0
    # Its centre is on the frame's edge: the oval reaches the top and bottom there, not at the box's corner.
    assert mask[0, 0] == 255 and mask[29, 0] == 255 and mask[0, 19] == 0 and mask[29, 19] == 0


def test_boxes_mask_merge_and_invert() -> None:
    boxes = [Box(x0=10, y0=20, x1=30, y1=25), Box(x0=90, y0=40, x1=200, y1=200)]

    mask = imaging.boxes_mask(boxes, (100, 50))

    assert mask.shape == (50, 100) and mask.dtype == np.uint8
    assert mask.sum() // 255 == 20 * 5 + 10 * 10
    assert mask[20, 10] == 255 and mask[24, 29] == 255 and mask[25, 29] == 0 and mask[49, 99] == 255
    other = imaging.boxes_mask([Box(x0=0, y0=0, x1=5, y1=5)], (100, 50))
    merged = imaging.merge_masks(mask, other)
    assert np.array_equal(merged > 0, (mask > 0) | (other > 0))
    inverted = imaging.invert_mask(merged)
    assert np.array_equal(inverted, 255 - merged) and inverted.dtype == np.uint8
    with pytest.raises(ValueError):
        imaging.merge_masks(mask, np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError):
        imaging.merge_masks()


# ---------------------------------------------------------------------------------------------------------------
# paste_people


def _scene(size: tuple[int, int]) -> Image.Image:
    w, h = size
    yy, xx = np.mgrid[:h, :w]
    return Image.fromarray(np.stack([40 + xx * 0.3, 120 + yy * 0.2, 200 - yy * 0.2], axis=-1).astype(np.uint8))


def _head_mask() -> np.ndarray:
    mask = np.zeros((512, 512), dtype=np.uint8)
    cv2.ellipse(mask, (225, 125), (95, 120), 0, 0, 360, 255, thickness=-1)
    return mask


def test_paste_keeps_the_face_pixel_identical_and_the_background_generated() -> None:
    original, mask = portraits.astronaut(), _head_mask()
    generated = _scene(original.size)

    result = pixels(imaging.paste_people(original, generated, mask, feather=6))

    eroded = cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (13, 13))) > 0
    face = ASTRONAUT_FACE
    assert eroded[face.y0 : face.y1, face.x0 : face.x1].all()
    assert np.array_equal(result[eroded], pixels(original)[eroded])
    assert np.array_equal(result[mask == 0], pixels(generated)[mask == 0])
    band = (mask > 0) & ~eroded
    differs_from_both = (result[band] != pixels(original)[band]).any(axis=1) & (
        result[band] != pixels(generated)[band]
    ).any(axis=1)
    assert differs_from_both.mean() > 0.5  # the edge is blended, not cut


def _person_on_green(mask_growth: int) -> tuple[Image.Image, np.ndarray]:
    """The astronaut's head with a soft (hair-like) edge on a bright green screen, and a mask that is a few
    pixels too generous, as segmenters often are: the band holds old-background green."""
    head = pixels(portraits.astronaut()).astype(np.float32)
    yy, xx = np.mgrid[:512, :512]
    ellipse = ((xx - 225) / 80.0) ** 2 + ((yy - 130) / 100.0) ** 2
    coverage = np.clip((1 - ellipse) * 20 + 0.5, 0, 1)[..., None]
    photo = coverage * head + (1 - coverage) * np.array([20, 230, 30], np.float32)
    mask = (ellipse <= 1).astype(np.uint8) * 255
    grow = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * mask_growth + 1, 2 * mask_growth + 1))
    return Image.fromarray(photo.astype(np.uint8)), cv2.dilate(mask, grow)


def _naive_blend(original: Image.Image, generated: Image.Image, mask: np.ndarray, feather: int) -> np.ndarray:
    depth = cv2.distanceTransform((mask > 0).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    ramp = np.clip((depth - 0.5) / (feather - 0.5), 0, 1)
    alpha = (ramp * ramp * (3 - 2 * ramp))[..., None]
    return alpha * pixels(original) + (1 - alpha) * pixels(generated)


def _greenness(image: np.ndarray, where: np.ndarray) -> float:
    """How much green dominates red and blue, on average over ``where`` (0 for skin, hair and a blue sky)."""
    image = image.astype(np.float32)
    return float(np.clip(image[..., 1] - np.maximum(image[..., 0], image[..., 2]), 0, None)[where].mean())


def test_paste_removes_the_green_screen_halo() -> None:
    original, mask = _person_on_green(mask_growth=4)
    generated = Image.new("RGB", original.size, (30, 60, 200))

    result = pixels(imaging.paste_people(original, generated, mask, feather=6))

    depth = cv2.distanceTransform((mask > 0).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    band = (mask > 0) & (depth < 6)
    naive = _greenness(_naive_blend(original, generated, mask, 6), band)
    ours = _greenness(result, band)
    assert naive > 10  # the scene really has a halo to remove
    assert ours < 0.05 * naive


def test_paste_leaves_clean_edges_like_a_plain_blend() -> None:
    # No old background inside the mask: the clean-up must not eat into the person.
    mask = _person_mask()
    original = np.zeros((300, 400, 3), np.uint8)
    original[:] = (20, 230, 30)
    original[mask > 0] = (230, 120, 40)
    generated = _scene((400, 300))

    result = pixels(imaging.paste_people(Image.fromarray(original), generated, mask, feather=6))

    naive = _naive_blend(Image.fromarray(original), generated, mask, 6)
    assert np.abs(result - naive).max() <= 2


def test_paste_with_no_feather_is_a_hard_cut() -> None:
    original, mask = portraits.astronaut(), _head_mask()
    generated = _scene(original.size)

    result = pixels(imaging.paste_people(original, generated, mask, feather=0))

    assert np.array_equal(result, np.where(mask[..., None] > 0, pixels(original), pixels(generated)))


def test_paste_with_empty_or_full_mask() -> None:
    original = portraits.astronaut()
    generated = _scene(original.size)

    empty = imaging.paste_people(original, generated, np.zeros((512, 512), np.uint8))
    full = imaging.paste_people(original, generated, np.full((512, 512), 255, np.uint8))

    assert np.array_equal(np.asarray(empty), np.asarray(generated))
    assert np.array_equal(np.asarray(full), np.asarray(original))


def test_paste_refuses_mismatched_sizes() -> None:
    original = portraits.astronaut()

    with pytest.raises(ValueError, match="generated"):
        imaging.paste_people(original, _scene((512, 500)), _head_mask())
    with pytest.raises(ValueError, match="mask"):
        imaging.paste_people(original, _scene((512, 512)), np.zeros((500, 512), np.uint8))


def test_a_sixteen_bit_png_is_refused_by_its_decoded_size_not_its_pixel_count() -> None:
    """Issue 7: a ~300 KB 16-bit 40-megapixel PNG passed the pixel check and cost 800 MB to decode."""
    heavy = portraits.flat_png(7000, 5700, bit_depth=16)
    assert len(heavy) < 1_000_000 and 7000 * 5700 <= 40_000_000

    with pytest.raises(ImageTooLarge, match="decoding the image needs 239400000 bytes"):
        imaging.normalise(heavy, max_bytes=15_000_000, max_pixels=40_000_000, max_decoded_bytes=128 * 1024 * 1024)


def test_the_same_canvas_in_eight_bits_fits_the_decoded_budget() -> None:
    light = portraits.flat_png(1600, 1200, bit_depth=8)

    working, transform = imaging.normalise(
        light, max_bytes=15_000_000, max_pixels=40_000_000, max_decoded_bytes=1600 * 1200 * 3
    )

    assert transform.original_size == (1600, 1200) and working.mode == "RGB"
    with pytest.raises(ImageTooLarge):
        imaging.normalise(light, max_bytes=15_000_000, max_pixels=40_000_000, max_decoded_bytes=1600 * 1200 * 3 - 1)
