"""Print-quality results: the output size rules, the original's pixels pasted at full resolution, EXIF, tiling.

The face rule (CONTRACT.md, local server: "the people pasted from the original upload at full resolution") is
checked twice: exactly on the pixels handed to the JPEG encoder, and within JPEG's tolerance on the stored file.
"""

from __future__ import annotations

import io
from functools import cache

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from photobooth import imaging, pipeline
from photobooth.config import Settings
from photobooth.models import Box
from photobooth.offline.scenes import ProceduralSceneGenerator
from photobooth.offline.segmentation import GrabCutSegmenter
from tests.support import portraits
from tests.support.fakes import MemoryObjectStore, MemoryStatusStore
from tests.support.steps import detect_and_segment, generate_request

REQUEST_ID = "req-print-01"
PHOTO_KEY = f"photo/{REQUEST_ID}/me.jpg"
DECODE_LIMITS = {"max_pixels": 40_000_000, "max_decoded_bytes": 128 * 1024 * 1024}


# --- output size -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("original", "long_side", "expected"),
    [
        ((3000, 4000), 2048, (1536, 2048)),  # the default: long side 2048, aspect kept
        ((4000, 3000), 2048, (2048, 1536)),
        ((6000, 4000), 2048, (2048, 1365)),  # 24 MP
        ((800, 600), 2048, (800, 600)),  # smaller than the setting: the original's size, never enlarged
        ((2048, 1000), 2048, (2048, 1000)),
        ((3000, 4000), 0, (3000, 4000)),  # 0: the original's size
    ],
)
def test_output_size_rules(original, long_side, expected):
    assert imaging.output_size(original, long_side) == expected


def test_output_long_side_is_a_validated_setting():
    assert Settings().output_long_side == 2048
    assert Settings(output_long_side=0).output_long_side == 0
    with pytest.raises(ValueError):
        Settings(output_long_side=-1)


def test_the_upscaler_is_lanczos_unless_bedrock_is_chosen():
    assert Settings().upscaler == "lanczos"
    assert Settings(upscaler="bedrock").upscale_model_id == "us.stability.stable-fast-upscale-v1:0"
    with pytest.raises(ValueError):
        Settings(upscaler="stability.stable-fast-upscale-v1:0")


# --- the original, upright, at the output size -----------------------------------------------------------------


def _rotated_upload(upright: Image.Image, orientation: int = 6, quality: int = 92) -> bytes:
    """A JPEG stored sideways, as phones write them, whose EXIF orientation turns it upright again."""
    stored = upright.transpose(Image.Transpose.ROTATE_90) if orientation == 6 else upright
    exif = Image.Exif()
    exif[0x0112] = orientation
    return portraits.encode(stored, "JPEG", quality=quality, exif=exif)


def _upright_reference(data: bytes) -> np.ndarray:
    """What a viewer shows: the decoder's pixels turned by the EXIF orientation."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))


def test_load_original_at_its_own_size_is_the_upright_decoded_photo_pixel_for_pixel():
    data = _rotated_upload(portraits.astronaut().resize((480, 640)))

    image, original_size = imaging.load_original(data, long_side=0, **DECODE_LIMITS)

    assert original_size == (480, 640)
    assert image.size == (480, 640)
    assert np.array_equal(np.asarray(image), _upright_reference(data))


def test_load_original_reduces_a_large_photo_to_the_output_size_upright():
    data = _rotated_upload(portraits.astronaut().resize((3000, 4000)))

    image, original_size = imaging.load_original(data, long_side=2048, **DECODE_LIMITS)

    assert original_size == (3000, 4000)
    assert image.size == (1536, 2048)
    reference = Image.fromarray(_upright_reference(data)).resize((1536, 2048), Image.Resampling.LANCZOS)
    assert np.abs(np.asarray(image, np.int16) - np.asarray(reference, np.int16)).mean() < 2.0


# --- compose_print ---------------------------------------------------------------------------------------------


def _noise(size: tuple[int, int], seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


def _disc(size: tuple[int, int], centre: tuple[int, int], radius: int) -> np.ndarray:
    y, x = np.mgrid[0 : size[1], 0 : size[0]]
    return np.where((x - centre[0]) ** 2 + (y - centre[1]) ** 2 <= radius**2, 255, 0).astype(np.uint8)


def test_compose_print_keeps_the_person_exactly_and_the_background_outside():
    size = (900, 700)
    original, background = _noise(size, 1), Image.new("RGB", size, (20, 200, 90))
    mask = _disc(size, (450, 350), 250)

    result = np.asarray(imaging.compose_print(original, background, mask, feather=8, refine_radius=3, tile=128))

    inside, outside = _disc(size, (450, 350), 250 - 8 - 7 - 2) > 0, _disc(size, (450, 350), 250 + 8) == 0
    assert np.array_equal(result[inside], np.asarray(original)[inside])
    assert (result[outside] == (20, 200, 90)).all()


def test_compose_print_tile_by_tile_gives_what_one_whole_image_pass_gives():
    size = (700, 520)
    original = portraits.astronaut().resize(size)
    background = _noise(size, 2)
    soft = imaging.upscale_mask(_disc((175, 130), (80, 60), 45), size)

    tiled = imaging.compose_print(original, background.copy(), soft, feather=9, refine_radius=4, tile=96)
    whole = imaging.compose_print(original, background.copy(), soft, feather=9, refine_radius=4, tile=4096)

    difference = np.abs(np.asarray(tiled, np.int16) - np.asarray(whole, np.int16))
    # Ties between equally near pixels may break differently in a tile; they change a colour estimate, nothing more.
    assert (difference.max(axis=2) > 0).mean() < 0.001
    assert difference.mean() < 0.05


def test_the_refined_edge_follows_the_photo_not_the_working_mask_stair_steps():
    """A person edge in the photo at x=203; the working mask (4x coarser) put it at x=200. After upscaling and
    refinement the paste follows the photo's edge, so no strip of the old background is pasted onto the scene."""
    size = (400, 160)
    photo = np.full((160, 400, 3), 30, np.uint8)
    photo[:, :203] = 220  # the person is light, the old background dark
    coarse = np.zeros((40, 100), np.uint8)
    coarse[:, :50] = 255  # edge at 50 * 4 = 200
    coarse[:, 50] = 255  # a working mask one pixel too generous: edge at 204 after upscaling
    soft = imaging.upscale_mask(coarse, size)

    result = np.asarray(
        imaging.compose_print(
            Image.fromarray(photo), Image.new("RGB", size, (0, 0, 255)), soft, feather=2, refine_radius=6
        )
    )

    row = result[80]
    assert (row[:195] == 220).all()  # the person, untouched
    assert (row[206:] == (0, 0, 255)).all()  # no dark rim of the old background beside the person


# --- generate, end to end with the offline models ---------------------------------------------------------------


@cache
def _portrait_3000x4000() -> Image.Image:
    """The astronaut grown to a 12 MP portrait (reflected downwards to 3:4, then upscaled) with a fine grain, the
    detail a real 12 MP photo has and a 1024 px working image cannot carry."""
    square = np.asarray(portraits.astronaut())
    tall = np.pad(square, ((0, 171), (0, 0), (0, 0)), mode="reflect")
    grown = np.asarray(Image.fromarray(tall).resize((3000, 4000), Image.Resampling.LANCZOS), np.int16)
    grain = np.random.default_rng(3).normal(0, 10, grown.shape[:2])[:, :, None]
    return Image.fromarray(np.clip(grown + grain, 0, 255).astype(np.uint8))


@cache
def _prepared(data: bytes) -> tuple[dict, dict]:
    """Detect and segment once per photo; each test then generates into a fresh store."""
    store = MemoryObjectStore()
    store.put(PHOTO_KEY, data, "image/jpeg")
    status = MemoryStatusStore()
    status.create_pending({"requestId": REQUEST_ID, "status": "PROCESSING", "images": {}})
    detection, mask_key = detect_and_segment(
        store,
        status,
        request_id=REQUEST_ID,
        key=PHOTO_KEY,
        segmenter=GrabCutSegmenter(),
        settings=Settings(backend="offline"),
    )
    return detection, {"objects": dict(store.objects), "maskKey": mask_key}


def _generate(data: bytes, settings: Settings) -> tuple[Image.Image, dict]:
    detection, prepared = _prepared(data)
    store = MemoryObjectStore()
    store.objects.update(prepared["objects"])
    status = MemoryStatusStore()
    status.create_pending({"requestId": REQUEST_ID, "status": "PROCESSING", "images": {}})
    request = generate_request(
        detection, prepared["maskKey"], request_id=REQUEST_ID, key=PHOTO_KEY, theme="cosmos", index=1
    )
    result = pipeline.generate(
        request, store=store, status=status, generator=ProceduralSceneGenerator(), settings=settings
    )
    assert result["status"] == "SUCCEEDED", result
    body, content_type = store.objects[result["key"]]
    assert content_type == "image/jpeg"
    return Image.open(io.BytesIO(body)), detection


def _face_at(detection: dict, size: tuple[int, int], erode: int) -> np.ndarray:
    """The first face (the oval the pipeline always keeps), mapped from the working image to ``size``, without the
    ``erode`` px next to its edge: a boolean mask."""
    scale = size[0] / detection["contentWidth"]
    face = Box.model_validate(detection["faces"][0])
    mapped = Box(
        x0=round(face.x0 * scale), y0=round(face.y0 * scale), x1=round(face.x1 * scale), y1=round(face.y1 * scale)
    )
    oval = imaging.faces_mask([mapped], size)
    inner = cv2.distanceTransform(oval, cv2.DIST_L2, cv2.DIST_MASK_PRECISE) > erode
    assert inner.sum() > 100 * 100, "the eroded face is too small to prove anything"
    return inner


def _erosion_for(output_long: int, detection: dict) -> int:
    """Feather + refinement reach + the bilinear ramp, in output pixels (pipeline._print_result's parameters)."""
    growth = output_long / max(detection["contentWidth"], detection["contentHeight"])
    return round(6 * growth) + 2 * round(2 * growth) + 1 + round(growth) + 2


def test_face_pixels_are_the_originals_at_full_resolution(monkeypatch):
    """A 3000x4000 portrait stored sideways with EXIF orientation 6, output_long_side=0: inside the eroded face
    the pixels handed to the JPEG encoder equal the upright original's exactly; in the stored JPEG they are within
    JPEG's quality-90 noise and far closer than the 1024 px working image grown to that size."""
    data = _rotated_upload(_portrait_3000x4000())
    encoded: list[Image.Image] = []
    real_encode = imaging.encode_jpeg

    def keep_what_is_encoded(image, *args, **kwargs):
        encoded.append(image.copy())
        return real_encode(image, *args, **kwargs)

    monkeypatch.setattr(imaging, "encode_jpeg", keep_what_is_encoded)

    stored, detection = _generate(data, Settings(backend="offline", output_long_side=0))

    reference = _upright_reference(data)
    assert stored.size == (3000, 4000)
    face = _face_at(detection, (3000, 4000), _erosion_for(4000, detection))
    (handed_over,) = encoded
    assert np.array_equal(np.asarray(handed_over)[face], reference[face])

    decoded = np.asarray(stored.convert("RGB"), np.int16)[face]
    error = np.abs(decoded - reference[face].astype(np.int16)).mean()
    assert error < 4.0  # JPEG noise only (the grain makes it larger than on a smooth photo)
    working = Image.open(io.BytesIO(_prepared(data)[1]["objects"][detection["inputKey"]][0]))
    grown = working.crop((0, 0, detection["contentWidth"], detection["contentHeight"])).resize((3000, 4000))
    old_way_error = np.abs(np.asarray(grown, np.int16)[face] - reference[face].astype(np.int16)).mean()
    assert old_way_error > 2 * error, "the face would be as good grown from the working image"


def test_default_output_is_2048_with_the_face_from_the_original_at_that_size(monkeypatch):
    data = _rotated_upload(_portrait_3000x4000())
    encoded: list[Image.Image] = []
    real_encode = imaging.encode_jpeg
    monkeypatch.setattr(
        imaging, "encode_jpeg", lambda image, *a, **k: encoded.append(image.copy()) or real_encode(image, *a, **k)
    )

    stored, detection = _generate(data, Settings(backend="offline"))

    assert stored.size == (1536, 2048)
    original_at_output, _ = imaging.load_original(data, long_side=2048, **DECODE_LIMITS)
    face = _face_at(detection, (1536, 2048), _erosion_for(2048, detection))
    assert np.array_equal(np.asarray(encoded[0])[face], np.asarray(original_at_output)[face])


def test_a_photo_smaller_than_the_output_size_keeps_its_size():
    data = portraits.jpeg_bytes(portraits.astronaut())  # 512x512

    stored, _ = _generate(data, Settings(backend="offline", output_long_side=2048))

    assert stored.size == (512, 512)
