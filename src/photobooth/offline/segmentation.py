"""Person segmentation without a model download: MediaPipe's selfie segmentation model, or OpenCV GrabCut.

:class:`SelfieSegmenter` (the default) runs MediaPipe's selfie segmentation model, a small MobileNetV3 network
whose 250 KB of weights are committed beside this module (``models/NOTICE.md``: taken from the Apache-2.0
``mediapipe`` 0.10.21 wheel), on Google's LiteRT runtime (``ai-edge-litert``). It takes a few milliseconds where
GrabCut takes most of a second, and it keeps what a visitor holds (a helmet, a drink) as part of them.

:class:`GrabCutSegmenter` is the fallback where LiteRT has no wheel (macOS on Intel, Linux on ARM) and the choice
of ``PHOTOBOOTH_OFFLINE_SEGMENTER=grabcut``. GrabCut needs a rough first guess. A booth photo shows people from the
chest or waist up, so for every face we mark the face and a strip below the chin as certainly person, the head
(hair) and a shoulders-and-body block below it as probably person, a thin margin around that as probably
background, and everything further away (and the image border beside and above the people) as certainly
background. GrabCut then learns colour models from that guess and settles the probable areas. Everyone in the
photo is seeded in one run, so one person's colours help find the other's edges.

Both keep only the people whose faces were found (the components touching a face box), and always the faces (the
oval inside each face box: ``imaging.faces_mask``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from photobooth.imaging import faces_mask
from photobooth.models import Box
from photobooth.offline.selfie_model import SELFIE_TFLITE, load_selfie_model

log = logging.getLogger(__name__)

# Seed geometry, in face widths (w) and face heights (h), measured from the face box.
BODY_HALF_WIDTH = 1.7  # shoulders: up to 3.4 face widths across (a bulky jacket or spacesuit)
NECK_HALF_WIDTH = 0.8  # the body block is a trapezoid: this narrow at the chin, sloping out to the shoulders
SHOULDER_DROP = 0.7  # ... reached this many face heights below the chin
HAIR_SIDE = 0.35  # head = face box widened by this share of w on each side ...
HAIR_TOP = 0.5  # ... and raised by this share of h
TORSO_HALF_WIDTH = 0.5  # a strip below the chin, certainly person: ties the face to the body and teaches
TORSO_DEPTH = 2.5  # GrabCut the clothes' colours (an upright torso is 2.5-3 face widths across)
SHOULDER_RISE = 0.25  # the body block starts this share of h above the chin (collars, hunched shoulders)
# Probably background: a thin band beside the body block (GrabCut may still claim it for a bulky sleeve). Beyond
# it everything is certainly background; a wider band let GrabCut take dark furniture between two people.
MARGIN_SIDE = 0.3
MARGIN_TOP = 0.8
BORDER = 0.02  # share of the short side: the frame border beside and above the people is certainly background
GAP_CLOSE = 0.15  # radius in face widths of the closing that bridges straps and ties (see _clean)
# Four rounds settle the masks: with only the face's oval certain person, a third round still left a patch of wall
# beside the astronaut's neck that the fourth removes (IoU 0.983 at 1024 px); a fifth moves them by under 0.5 %.
# (With the whole face box certain, three were enough; docs/decisions.md.) A smaller work size (384) moved them by up
# to 5 %, so the work size stays at 512.
GRABCUT_ITERATIONS = 4


class GrabCutSegmenter:
    """The offline :class:`~photobooth.ports.Segmenter`.

    Runs at ``work_size`` pixels on the long side (about 0.5 s at 512 on a laptop core) and scales the mask back.
    Deterministic: OpenCV's random generator is reseeded before every run.
    """

    def __init__(self, work_size: int = 512, iterations: int = GRABCUT_ITERATIONS) -> None:
        self.work_size = work_size
        self.iterations = iterations

    def segment(self, image: Image.Image, boxes: Sequence[Box]) -> np.ndarray:
        width, height = image.size
        if not boxes:
            return np.zeros((height, width), np.uint8)
        scale = min(1.0, self.work_size / max(width, height))
        small_size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = np.asarray(image.convert("RGB").resize(small_size, Image.Resampling.BILINEAR))
        small_boxes = [_scale_box(box, scale, small_size) for box in boxes]

        seeds = _seed_mask(small_size, small_boxes)
        if np.any(seeds == cv2.GC_BGD) or np.any(seeds == cv2.GC_PR_BGD):
            cv2.setRNGSeed(0)
            background_model = np.zeros((1, 65), np.float64)
            foreground_model = np.zeros((1, 65), np.float64)
            cv2.grabCut(
                cv2.cvtColor(small, cv2.COLOR_RGB2BGR),
                seeds,
                (0, 0, small_size[0], small_size[1]),  # ignored with GC_INIT_WITH_MASK
                background_model,
                foreground_model,
                self.iterations,
                cv2.GC_INIT_WITH_MASK,
            )
        person = np.where((seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD), 255, 0).astype(np.uint8)
        return _full_size(_clean(person, small_boxes), boxes, (width, height))


# The selfie model's weights: MobileNetV3-based, 256 x 256 RGB in (0..1), one channel of person probability out.
# The .tflite runs on LiteRT; its ONNX translation (selfie_model.SELFIE_ONNX) on ONNX Runtime, e.g. on Lambda.
SELFIE_MODEL = SELFIE_TFLITE
SELFIE_THRESHOLD = 0.5  # the probability from which a pixel is person (the model's own decision boundary)
# Each person is shown to the model on their own: a crop this many face widths either side of the face's centre,
# from this many face heights above the face's top down to the frame's bottom (booth photos cut people off there).
# The model was trained on selfies, a person filling the frame: on the whole frame squashed to 256 x 256 a small
# person got a blobby mask, and a cat beside one was called person (bench cutout; docs/decisions.md, issue 22).
# With a neighbour beside them (faces side by side, not overlapping across), a person's crop stops halfway between
# the two faces: a crop reaching past the neighbour showed the model a group, and it joined the background between
# the two (a flag pole, a table) to them; the neighbour's own crop covers what lies beyond (bench cutout's
# side-by-side photo: leak 2.25 % -> 0.97 % of the image).
CROP_HALF_WIDTH = 4.0
CROP_ABOVE = 1.0
# The paste-back fades people in over a feather band INSIDE the mask (pipeline._WORKING_FEATHER, 6 working-image
# pixels), so a mask on the person's exact edge loses its outer 3 px to the new background (the reference set's
# person loss, and faces whose oval met the mask's edge). The mask reaches this far past the model's edge instead,
# which puts the feather's half-weight point 2 px outside it: less than one of the model's own pixels (a 256 px map
# of a crop several hundred working pixels wide), so the visitor's rim of hair or cheek is kept where the model's
# edge errs inwards, and the ring of old background where it errs outwards comes back at under half weight with its
# colour taken out. 3 px (the half-weight point on the edge) lost 2.2 % of the astronaut and the cheek of Grace
# Hopper beside the cat; 6 px raised every photo's leak by a further 0.02-0.21 % of the image and met no target that
# 5 px misses (docs/decisions.md, issue 22 round two).
EDGE_ALLOWANCE = 5
# The model was trained on selfies, whose bodies run out of the frame at its sides: below the chins it calls a strip
# of background between a person and the frame's side edge person (the flag beside the astronaut's arm). Where the
# mask reaches a side edge below the chins, this many face widths of it next to that edge are decided again by
# colour (GrabCut), learning the person from the mask further in and the background from the model's background
# beside it, both below the chins; the face and hair above take no part (their colours are not the clothes').
SIDE_EDGE_BAND = 0.3
SIDE_EDGE_CONTEXT = 3  # the colours are learnt within this many band widths of the edge
# One round: its seeds are the model's own answer, already close; three moved the set's results by 0.01 points at
# most and took 54 ms instead of 32 ms of CPU on a 1024 px portrait.
SIDE_EDGE_ITERATIONS = 1
# A picture may come framed by flat bars of one colour: a webcam or camera app that letterboxes (the e2e tests' fake
# camera shows the square astronaut between two grey bars in its 640 x 480 frame), a screenshot, a photo with a
# border. Shown the bars, the model took the flag between the astronaut's arm and the bar for her, and the re-check
# at the side edges above never ran (the frame's edges were the bars'). The model is shown the picture inside the
# bars, whose edges are then the side edges, and the bars are background: a line of one colour across the frame is
# nobody. A line belongs to a bar while every pixel of it is within FLAT_BAR_TOLERANCE levels of the outermost
# line's colour: JPEG moved the fake camera's grey by up to 8 levels, the picture's own first line by 100 and more.
# The bar's line next to the picture may be a blend of both (JPEG keeps colour at half resolution and smooths it
# when decoding: 22 levels off the grey beside the flag); it goes with the bar when it is nearer the bar's colour
# than the picture's line beyond it.
FLAT_BAR_TOLERANCE = 12


class SelfieSegmenter:
    """The default :class:`~photobooth.ports.Segmenter`: MediaPipe's selfie segmentation model (LiteRT or ONNX).

    The model sees the photo itself: not the working image's padding below it, nor flat bars around the picture
    (``FLAT_BAR_TOLERANCE``), which are background. Every detected person gets a crop of their own (``CROP_*``),
    letterboxed into the model's square input (padding, not squashing, keeps their proportions), and the model also
    sees the crop mirrored: the two probabilities are averaged, which steadies the uncertain edges. The people's
    maps are merged (the larger probability wins), scaled to ``work_size`` on the long side, cut at 0.5; where the
    mask reaches the picture's side edges below the chins, the band along them is decided again by colour
    (``SIDE_EDGE_*``); then it is cleaned as GrabCut's mask is (only what touches a face is kept; beyond the side
    edges is background), scaled to the photo and grown by ``EDGE_ALLOWANCE``. One interpreter per segmenter, used
    by one thread at a time (LiteRT's interpreter is not thread-safe; an inference takes a few milliseconds) and on
    one core, so a second photo's steps keep the other.
    """

    def __init__(self, work_size: int = 512, model: Path = SELFIE_MODEL) -> None:
        self.work_size = work_size
        self._model = load_selfie_model(model)  # LiteRT for a .tflite, ONNX Runtime for a .onnx

    def segment(self, image: Image.Image, boxes: Sequence[Box]) -> np.ndarray:
        width, height = image.size
        if not boxes:
            return np.zeros((height, width), np.uint8)
        rgb = np.asarray(image.convert("RGB"))
        photo_height = _above_padding(rgb, boxes)
        left, top, right, bottom = _inside_flat_bars(rgb[:photo_height], boxes)
        inside = [Box(x0=box.x0 - left, y0=box.y0 - top, x1=box.x1 - left, y1=box.y1 - top) for box in boxes]
        person = np.zeros((photo_height, width), np.uint8)
        person[top:bottom, left:right] = self._segment(Image.fromarray(rgb[top:bottom, left:right]), inside)
        # The padding repeats the photo's last row, and its mask the mask's (what an image model is sent).
        return np.pad(person, ((0, height - photo_height), (0, 0)), mode="edge")

    def _segment(self, rgb: Image.Image, boxes: Sequence[Box]) -> np.ndarray:
        """The mask of the picture ``rgb`` (no bars around it), with at least one face box."""
        width, height = rgb.size
        scale = min(1.0, self.work_size / max(width, height))
        small_size = (max(1, round(width * scale)), max(1, round(height * scale)))
        probability = np.zeros((small_size[1], small_size[0]), np.float32)
        for box in boxes:
            left, top, right, bottom = _person_crop(box, (width, height), boxes)
            crop = rgb.crop((left, top, right, bottom))
            mirrored = self._probability(crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT))[:, ::-1]
            seen = (self._probability(crop) + mirrored) / 2
            x0, y0 = round(left * scale), round(top * scale)
            x1, y1 = max(x0 + 1, round(right * scale)), max(y0 + 1, round(bottom * scale))
            seen = cv2.resize(seen, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
            np.maximum(probability[y0:y1, x0:x1], seen, out=probability[y0:y1, x0:x1])
        person = np.where(probability >= SELFIE_THRESHOLD, 255, 0).astype(np.uint8)
        small_boxes = [_scale_box(box, scale, small_size) for box in boxes]
        if person[:, 0].any() or person[:, -1].any():
            small = np.asarray(rgb.resize(small_size, Image.Resampling.BILINEAR))
            person = _recheck_side_edges(person, small, small_boxes)
        person = _full_size(_clean(person, small_boxes, sides_are_background=True), boxes, (width, height))
        allowance = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * EDGE_ALLOWANCE + 1, 2 * EDGE_ALLOWANCE + 1))
        return cv2.dilate(person, allowance)

    def _probability(self, image: Image.Image) -> np.ndarray:
        """The model's person probability for ``image``'s own pixels, at the model's resolution."""
        side = self._model.side
        width, height = image.size
        scale = side / max(width, height)
        inner = (max(1, round(width * scale)), max(1, round(height * scale)))
        left, top = (side - inner[0]) // 2, (side - inner[1]) // 2
        square = np.zeros((side, side, 3), np.float32)
        square[top : top + inner[1], left : left + inner[0]] = np.asarray(
            image.convert("RGB").resize(inner, Image.Resampling.BILINEAR), np.float32
        )
        square /= 255.0
        # The network's one call (photobooth.offline.selfie_model: LiteRT or ONNX Runtime).
        output = self._model.predict(square)
        return np.ascontiguousarray(output[top : top + inner[1], left : left + inner[0]], np.float32)


def _above_padding(rgb: np.ndarray, boxes: Sequence[Box]) -> int:
    """The height of ``rgb`` without the rows at its bottom that repeat the row above them (imaging.normalise's
    padding: the working image's sides are multiples of 64); all of it where a face box reaches into them."""
    height = len(rgb)
    while height > 1 and np.array_equal(rgb[height - 1], rgb[height - 2]):
        height -= 1
    return height if all(box.y1 <= height for box in boxes) else len(rgb)


def _inside_flat_bars(rgb: np.ndarray, boxes: Sequence[Box]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the picture inside the flat bars at ``rgb``'s edges (``FLAT_BAR_TOLERANCE``);
    the whole frame when there are none, or when a face box reaches into one (then they are no bars)."""

    def bar(lines: np.ndarray) -> int:
        """How many of ``lines`` (outermost first, each a row or column of pixels) are a bar of the first's colour,
        with the line that blends it into the picture."""
        colour = np.median(lines[0], axis=0)

        def off(line: np.ndarray, reference: np.ndarray) -> np.ndarray:
            return np.abs(line.astype(np.int16) - reference)

        found = 0
        while found < len(lines) and off(lines[found], colour).max() <= FLAT_BAR_TOLERANCE:
            found += 1
        if 0 < found < len(lines) - 1:
            edge = lines[found]
            found += int(off(edge, colour).mean() < off(edge, lines[found + 1]).mean())
        return found

    columns = rgb.transpose(1, 0, 2)
    left, right = bar(columns), len(columns) - bar(columns[::-1])
    top, bottom = bar(rgb), len(rgb) - bar(rgb[::-1])
    if (
        right <= left
        or bottom <= top
        or any(box.x0 < left or box.x1 > right or box.y0 < top or box.y1 > bottom for box in boxes)
    ):
        return 0, 0, rgb.shape[1], rgb.shape[0]
    return left, top, right, bottom


def _recheck_side_edges(person: np.ndarray, rgb: np.ndarray, boxes: Sequence[Box]) -> np.ndarray:
    """``person`` with the band along each side edge that it reaches below the chins decided again by GrabCut
    (``SIDE_EDGE_*``): only pixels of that band may change, and only from person to background or back."""
    height, width = person.shape
    chin = min(box.y1 for box in boxes)
    band = max(2, round(SIDE_EDGE_BAND * float(np.median([box.width for box in boxes]))))
    reach = min(width, SIDE_EDGE_CONTEXT * band)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    result = person.copy()
    for columns, edge in ((slice(0, reach), 0), (slice(width - reach, width), width - 1)):
        if chin >= height or not person[chin:, edge].any():
            continue
        mask = np.ascontiguousarray(person[chin:, columns])
        from_edge = np.arange(reach) if edge == 0 else np.arange(reach)[::-1]
        in_band = np.broadcast_to(from_edge < band, mask.shape)
        seeds = np.full(mask.shape, cv2.GC_PR_BGD, np.uint8)
        seeds[cv2.dilate(mask, kernel) == 0] = cv2.GC_BGD
        seeds[cv2.erode(mask, kernel) > 0] = cv2.GC_FGD
        seeds[(mask > 0) & in_band] = cv2.GC_PR_FGD
        if not (seeds == cv2.GC_BGD).any() or not (seeds == cv2.GC_FGD).any():
            continue  # nothing to learn one side's colours from
        cv2.setRNGSeed(0)
        cv2.grabCut(
            cv2.cvtColor(np.ascontiguousarray(rgb[chin:, columns]), cv2.COLOR_RGB2BGR),
            seeds,
            (0, 0, 1, 1),  # ignored with GC_INIT_WITH_MASK
            np.zeros((1, 65), np.float64),
            np.zeros((1, 65), np.float64),
            SIDE_EDGE_ITERATIONS,
            cv2.GC_INIT_WITH_MASK,
        )
        decided = np.where((seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD), 255, 0).astype(np.uint8)
        view = result[chin:, columns]
        view[in_band] = decided[in_band]
    return result


def _person_crop(box: Box, size: tuple[int, int], faces: Sequence[Box] = ()) -> tuple[int, int, int, int]:
    """The part of the photo shown to the model for the person whose face is ``box``: (left, top, right, bottom).

    ``faces``: everyone's (``box`` among them); the crop stops halfway to a face beside this one, never inside it."""
    width, height = size
    centre = (box.x0 + box.x1) / 2
    left, right = centre - CROP_HALF_WIDTH * box.width, centre + CROP_HALF_WIDTH * box.width
    for other in faces:
        halfway = (centre + (other.x0 + other.x1) / 2) / 2
        if other.x1 <= box.x0:  # beside, on the left
            left = max(left, min(halfway, box.x0))
        elif other.x0 >= box.x1:  # beside, on the right
            right = min(right, max(halfway, box.x1))
    left = max(0, round(left))
    right = min(width, max(left + 1, round(right)))
    top = min(height - 1, max(0, round(box.y0 - CROP_ABOVE * box.height)))
    return left, top, right, height


def offline_segmenter(choice: str = "selfie", model: Path = SELFIE_MODEL) -> GrabCutSegmenter | SelfieSegmenter:
    """``choice`` where it can run: the selfie model needs its runtime (LiteRT has no wheel for some platforms), its
    model file (an install that lost it, or a damaged one). The booth carries on with GrabCut and says why once."""
    if choice == "selfie":
        try:
            return SelfieSegmenter(model=model)
        except ImportError as error:  # LiteRT (ai-edge-litert) for a .tflite, onnxruntime for a .onnx
            log.warning("the selfie model's runtime is not installed here (%s): using GrabCut instead", error)
        except ValueError as error:  # the runtimes' answer to a missing or unreadable model file
            log.warning("the selfie segmentation model could not be loaded (%s): using GrabCut instead", error)
    return GrabCutSegmenter()


def _full_size(person: np.ndarray, boxes: Sequence[Box], size: tuple[int, int]) -> np.ndarray:
    """The cleaned work-size mask at the photo's ``size`` (w, h), with every face kept (the oval in its box)."""
    if person.shape[::-1] != size:
        # Smooth the staircase of the upscaled mask: blur the small mask a little, resize, threshold.
        soft = cv2.resize(cv2.GaussianBlur(person, (0, 0), 0.8), size, interpolation=cv2.INTER_LINEAR)
        person = np.where(soft >= 128, 255, 0).astype(np.uint8)
    return np.maximum(person, faces_mask(boxes, size))


def _scale_box(box: Box, scale: float, size: tuple[int, int]) -> Box:
    width, height = size
    x0 = min(width - 1, int(box.x0 * scale))
    y0 = min(height - 1, int(box.y0 * scale))
    x1 = max(x0 + 1, min(width, int(np.ceil(box.x1 * scale))))
    y1 = max(y0 + 1, min(height, int(np.ceil(box.y1 * scale))))
    return Box(x0=x0, y0=y0, x1=x1, y1=y1)


def _fill(mask: np.ndarray, x0: float, y0: float, x1: float, y1: float, value: int) -> None:
    height, width = mask.shape
    left, top = max(0, round(x0)), max(0, round(y0))
    right, bottom = min(width, round(x1)), min(height, round(y1))
    if right > left and bottom > top:
        mask[top:bottom, left:right] = value


def _fill_body(mask: np.ndarray, box: Box, value: int) -> None:
    w, h, cx = box.width, box.height, (box.x0 + box.x1) / 2
    top, shoulders, bottom = box.y1 - SHOULDER_RISE * h, box.y1 + SHOULDER_DROP * h, mask.shape[0]
    outline = [
        (cx - NECK_HALF_WIDTH * w, top),
        (cx + NECK_HALF_WIDTH * w, top),
        (cx + BODY_HALF_WIDTH * w, shoulders),
        (cx + BODY_HALF_WIDTH * w, bottom),
        (cx - BODY_HALF_WIDTH * w, bottom),
        (cx - BODY_HALF_WIDTH * w, shoulders),
    ]
    cv2.fillPoly(mask, [np.round(np.array(outline)).astype(np.int32)], value)


def _seed_mask(size: tuple[int, int], boxes: Sequence[Box]) -> np.ndarray:
    width, height = size
    seeds = np.full((height, width), cv2.GC_BGD, np.uint8)
    # Layers are painted from least to most certain, so a person's core wins over a neighbour's margin.
    for box in boxes:
        w, h, cx = box.width, box.height, (box.x0 + box.x1) / 2
        reach = (BODY_HALF_WIDTH + MARGIN_SIDE) * w
        _fill(seeds, cx - reach, box.y0 - (HAIR_TOP + MARGIN_TOP) * h, cx + reach, height, cv2.GC_PR_BGD)
    border = max(1, round(BORDER * min(width, height)))
    seeds[:border, :] = cv2.GC_BGD
    seeds[:, :border] = cv2.GC_BGD
    seeds[:, width - border :] = cv2.GC_BGD
    for box in boxes:
        w, h, cx = box.width, box.height, (box.x0 + box.x1) / 2
        _fill(seeds, box.x0 - HAIR_SIDE * w, box.y0 - HAIR_TOP * h, box.x1 + HAIR_SIDE * w, box.y1, cv2.GC_PR_FGD)
        _fill_body(seeds, box, cv2.GC_PR_FGD)
    # Certainly person: each face (the oval in its box; the box's corners stay probable, like the hair around them)
    # and a strip below the chin.
    seeds[faces_mask(boxes, size) == 255] = cv2.GC_FGD
    for box in boxes:
        w, h, cx = box.width, box.height, (box.x0 + box.x1) / 2
        _fill(
            seeds, cx - TORSO_HALF_WIDTH * w, box.y1, cx + TORSO_HALF_WIDTH * w, box.y1 + TORSO_DEPTH * h, cv2.GC_FGD
        )
    return seeds


def _clean(person: np.ndarray, boxes: Sequence[Box], *, sides_are_background: bool = False) -> np.ndarray:
    """Drop specks and blobs not attached to a face, bridge thin gaps and fill holes.

    A strap, a tie or a shadow often reads as background and cuts a jacket in two; the part without the face
    would then be dropped. Closing gaps narrower than about a third of a face width keeps it attached.
    ``sides_are_background``: see below (the selfie model's masks; GrabCut's seeds already make the frame's border
    background, and its masks stay as they were measured).
    """
    person = cv2.morphologyEx(person, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    gap = 2 * round(GAP_CLOSE * float(np.median([box.width for box in boxes]))) + 1
    # Beyond the frame's side edges is background for the closing: OpenCV's default border counts as person there,
    # which filled every gap narrower than the kernel between a person and the side edge (a strip of the flag
    # beside Grace Hopper's jacket). Above and below the frame, the mask's own edge rows continue (bodies are cut
    # off at the bottom; a zero border there would eat into them).
    pad = gap if sides_are_background else 0
    padded = cv2.copyMakeBorder(person, pad, pad, 0, 0, cv2.BORDER_REPLICATE)
    padded = cv2.copyMakeBorder(padded, 0, 0, pad, pad, cv2.BORDER_CONSTANT, value=0)
    closed = cv2.morphologyEx(padded, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (gap, gap)))
    person = np.ascontiguousarray(closed[pad : pad + person.shape[0], pad : pad + person.shape[1]])
    person = np.maximum(person, faces_mask(boxes, person.shape[::-1]))

    count, labels = cv2.connectedComponents(person, connectivity=8)
    keep = np.zeros(count, bool)
    for box in boxes:
        keep[np.unique(labels[box.y0 : box.y1, box.x0 : box.x1])] = True
    keep[0] = False
    person = np.where(keep[labels], 255, 0).astype(np.uint8)

    # A hole is background not connected to the frame edge.
    background = np.where(person == 0, 255, 0).astype(np.uint8)
    count, labels = cv2.connectedComponents(background, connectivity=4)
    edge_labels = np.unique(np.concatenate([labels[0, :], labels[-1, :], labels[:, 0], labels[:, -1]]))
    hole = np.ones(count, bool)
    hole[edge_labels] = False
    hole[0] = False
    person[hole[labels]] = 255
    return person
