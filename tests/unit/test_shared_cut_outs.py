"""The themes of one photo made in one process (the offline booth) share its cut-out: the original decoded at print
size and its outline refined and blended once, not once per theme. The images must be the same pixels."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from photobooth import imaging, pipeline, wiring
from photobooth.config import Settings
from photobooth.cutouts import SharedCutOuts
from photobooth.offline.faces import BundledFaceDetector
from photobooth.offline.scenes import ProceduralSceneGenerator
from photobooth.offline.segmentation import SelfieSegmenter
from tests.support import portraits
from tests.support.fakes import MemoryObjectStore, MemoryStatusStore
from tests.support.steps import detect_and_segment, generate_request

REQUEST_ID = "req-000001"
PHOTO_KEY = f"photo/{REQUEST_ID}/me.jpg"
THEMES = ("unicorn-meadow", "floating-city", "cosmos")
SETTINGS = Settings(backend="offline")


def test_a_cut_out_laid_on_two_backgrounds_gives_what_compose_print_gives_for_each():
    photo = portraits.astronaut().resize((1024, 1024))
    boxes = [face.box for face in BundledFaceDetector().detect_faces(photo)]
    soft = imaging.upscale_mask(SelfieSegmenter().segment(photo, boxes), (1536, 1536))
    people = photo.resize((1536, 1536))
    rng = np.random.default_rng(5)
    backgrounds = [Image.fromarray(rng.integers(0, 256, (1536, 1536, 3), dtype=np.uint8)) for _ in range(2)]

    shared = imaging.cut_out(people, soft, feather=9, refine_radius=3)

    for background in backgrounds:
        alone = imaging.compose_print(people, background.copy(), soft, feather=9, refine_radius=3)
        assert np.array_equal(np.asarray(shared.onto(background.copy())), np.asarray(alone))


@pytest.fixture
def prepared():
    """A photo detected and segmented, ready for its themes."""
    store, status = MemoryObjectStore(), MemoryStatusStore()
    store.put(PHOTO_KEY, portraits.jpeg_bytes(portraits.astronaut().resize((1536, 1536))), "image/jpeg")
    status.create_pending({"requestId": REQUEST_ID, "status": "PROCESSING", "images": {}})
    detection, mask_key = detect_and_segment(
        store, status, request_id=REQUEST_ID, key=PHOTO_KEY, segmenter=SelfieSegmenter(), settings=SETTINGS
    )
    return store, status, detection, mask_key


def _themes(prepared, shared: SharedCutOuts | None) -> list[np.ndarray]:
    """Every theme at once on threads, as the local engine runs the Map; the stored JPEGs, decoded."""
    store, status, detection, mask_key = prepared

    def one(index: int) -> np.ndarray:
        request = generate_request(
            detection, mask_key, request_id=REQUEST_ID, key=PHOTO_KEY, theme=THEMES[index - 1], index=index
        )
        result = pipeline.generate(
            request,
            store=store,
            status=status,
            generator=ProceduralSceneGenerator(),
            settings=SETTINGS,
            shared_cut_outs=shared,
        )
        assert result["status"] == "SUCCEEDED", result
        return np.asarray(Image.open(io.BytesIO(store.get(result["key"]))))

    with ThreadPoolExecutor(max_workers=len(THEMES)) as pool:
        return list(pool.map(one, range(1, len(THEMES) + 1)))


def test_the_themes_of_a_photo_decode_and_cut_it_out_once_with_the_same_pixels(prepared, monkeypatch):
    decoded: list[object] = []
    original_load = imaging.load_original

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        decoded.append(args)
        return original_load(*args, **kwargs)

    monkeypatch.setattr(imaging, "load_original", counted)

    each_on_its_own = _themes(prepared, shared=None)  # as on Lambda: one sandbox per theme
    assert len(decoded) == len(THEMES)
    decoded.clear()
    shared = SharedCutOuts()
    together = _themes(prepared, shared)

    assert len(decoded) == 1
    for alone, with_others in zip(each_on_its_own, together, strict=True):
        assert np.array_equal(alone, with_others)
    assert len(shared) == 1


def test_finalize_lets_go_of_the_visitors_cut_out(prepared):
    shared = SharedCutOuts()
    _themes(prepared, shared)
    _, status, _, _ = prepared

    pipeline.finalize(
        pipeline.FinalizeRequest(requestId=REQUEST_ID, images=[]),
        status=status,
        store=prepared[0],
        settings=SETTINGS,
        shared_cut_outs=shared,
    )

    assert len(shared) == 0


def test_one_maker_the_others_wait_and_a_failure_is_not_kept():
    shared = SharedCutOuts()
    calls: list[int] = []
    making, release = threading.Event(), threading.Event()

    def slow() -> imaging.CutOut:
        calls.append(1)
        making.set()
        release.wait(30)
        return imaging.CutOut(Image.new("RGB", (4, 4)), ())

    with ThreadPoolExecutor(max_workers=4) as pool:
        maker = pool.submit(shared.get, ("r1", "k"), slow)
        assert making.wait(30)  # the first is making it (events, not a sleep: the others come while it does)
        others = [pool.submit(shared.get, ("r1", "k"), slow) for _ in range(3)]
        assert not any(future.done() for future in [maker, *others])
        release.set()
        made = {id(future.result(timeout=30)) for future in [maker, *others]}
    assert len(calls) == 1 and len(made) == 1

    def broken() -> imaging.CutOut:
        raise OSError("disk went away")

    with pytest.raises(OSError, match="disk went away"):
        shared.get(("r2", "k"), broken)
    assert shared.get(("r2", "k"), slow).original.size == (4, 4)  # tried again, not the old failure


def test_it_holds_a_few_photos_at_most():
    shared = SharedCutOuts(keep=2)
    for request in ("r1", "r2", "r3"):
        shared.get((request,), lambda: imaging.CutOut(Image.new("RGB", (2, 2)), ()))
    assert len(shared) == 2


@pytest.mark.parametrize(("backend", "shares"), [("offline", True), ("aws", False)])
def test_only_the_offline_booth_shares_cut_outs(monkeypatch, backend, shares):
    monkeypatch.setenv("PHOTOBOOTH_BACKEND", backend)
    wiring.reset()
    try:
        assert (wiring.cut_outs() is not None) is shares
    finally:
        wiring.reset()
