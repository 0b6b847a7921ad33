"""Procedural backgrounds for the offline backend: no wheel bundles text-to-image weights, so each theme's prompt
picks one of a few painted scenes (meadow, floating city at sunset, cosmos, forest, beach) and a seeded random
generator varies it. The generator paints the whole frame; the pipeline pastes the visitor back on top.

Everything is float32 RGB in 0..1 until the end, built from gradients, smooth value noise and anti-aliased
OpenCV shapes, so a 1024 x 1024 scene takes well under half a second.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Callable, Sequence

import cv2
import numpy as np
from PIL import Image

from photobooth.models import Theme

Canvas = np.ndarray  # float32 (H, W, 3), 0..1
Colour = Sequence[float] | np.ndarray  # 0-255 RGB

# Keywords that pick a scene, matched against the theme's name (counted three times) and prompt.
SCENE_KEYWORDS: dict[str, tuple[str, ...]] = {
    "meadow": ("meadow", "unicorn", "flower", "field", "garden", "rainbow", "hill", "fairy"),
    "floating-city": ("city", "floating", "sunset", "tower", "skyline", "futuristic", "waterfall"),
    "cosmos": ("cosmos", "cosmic", "space", "star", "nebula", "planet", "galaxy", "alien", "moon"),
    "forest": ("forest", "tree", "wood", "jungle", "firefl", "enchanted"),
    "beach": ("beach", "sea", "ocean", "palm", "tropical", "sand", "coast", "wave"),
}


def scene_for(theme: Theme) -> str:
    """The scene painted for ``theme``: the one it names (``offline_scene``), else the one whose keywords it mentions
    most; ``gradient`` when none match."""
    if theme.offline_scene:
        return theme.offline_scene
    name_words = re.findall(r"[a-z]+", theme.name.lower())
    prompt_words = re.findall(r"[a-z]+", theme.prompt.lower())
    best, best_score = "gradient", 0
    for scene, keywords in SCENE_KEYWORDS.items():
        score = sum(3 for w in name_words if w.startswith(keywords)) + sum(
            1 for w in prompt_words if w.startswith(keywords)
        )
        if score > best_score:
            best, best_score = scene, score
    return best


class ProceduralSceneGenerator:
    """The offline :class:`~photobooth.ports.ImageGenerator`: a painted scene of ``image``'s size.

    The same (image size, person mask, theme, seed) gives identical pixels. The person mask only steers where the
    scene's centrepiece (rainbow, sun, planet) goes: to the side with the most visible background.
    """

    def generate(self, image: Image.Image, person_mask: np.ndarray, theme: Theme, seed: int) -> Image.Image:
        width, height = image.size
        scene = scene_for(theme)
        rng = np.random.default_rng([seed & 0xFFFFFFFF, zlib.crc32(theme.name.encode())])
        focus_x = _open_spot(person_mask, width, height, rng)
        canvas = _SCENES[scene](rng, height, width, focus_x)
        return Image.fromarray((np.clip(canvas, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8), "RGB")


# ---------------------------------------------------------------------------------------------------------------
# Building blocks


def _rgb(colour: Colour) -> np.ndarray:
    return np.asarray(colour, np.float32) / 255.0


def _open_spot(person_mask: np.ndarray, width: int, height: int, rng: np.random.Generator) -> float:
    """Horizontal position (0..1) among left, centre and right where the upper frame shows most background."""
    candidates = np.array([0.2, 0.5, 0.8])
    if person_mask.shape != (height, width) or not person_mask.any():
        return float(candidates[rng.integers(0, 3)])
    upper = person_mask[: max(1, height * 2 // 3)] > 0
    occupancy = [upper[:, int(c * width) - width // 8 : int(c * width) + width // 8].mean() for c in candidates]
    return float(candidates[int(np.argmin(occupancy))])


def _noise(
    rng: np.random.Generator, height: int, width: int, cells: float, octaves: int = 4, stretch: float = 1.0
) -> np.ndarray:
    """Smooth fractal value noise in 0..1; ``cells`` is the coarsest grid across the width, ``stretch`` > 1 makes
    features wider than tall (clouds, waves)."""
    total = np.zeros((height, width), np.float32)
    amplitude, norm = 1.0, 0.0
    for octave in range(octaves):
        across = max(2, round(cells * 2**octave))
        down = max(2, round(across * height / width * stretch))
        grid = rng.random((down, across), dtype=np.float32)
        total += amplitude * cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)
        norm += amplitude
        amplitude *= 0.5
    total /= norm
    low, high = float(total.min()), float(total.max())
    return (total - low) / max(high - low, 1e-6)


def _vertical_gradient(height: int, width: int, stops: Sequence[tuple[float, Colour]]) -> Canvas:
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)
    positions = [p for p, _ in stops]
    column = np.stack([np.interp(rows, positions, [c[i] / 255.0 for _, c in stops]) for i in range(3)], axis=-1)
    return np.ascontiguousarray(np.broadcast_to(column[:, None, :], (height, width, 3)), np.float32)


def _paint(canvas: Canvas, alpha: np.ndarray, colour: Colour) -> None:
    """Blend ``colour`` (RGB 0-255, or a float canvas) over ``canvas`` with per-pixel ``alpha``.

    Works in float32, in place, and only inside the bounding box of the pixels ``alpha`` touches: most layers (a
    sun, a planet, an island) cover a small part of the frame.
    """
    target = colour if isinstance(colour, np.ndarray) and colour.ndim == 3 else _rgb(colour)
    height, width = canvas.shape[:2]
    weight = np.clip(np.broadcast_to(alpha, (height, width)).astype(np.float32, copy=False), 0.0, 1.0)
    rows = np.flatnonzero(weight.any(axis=1))
    if rows.size == 0:
        return
    columns = np.flatnonzero(weight[rows[0] : rows[-1] + 1].any(axis=0))
    box = (slice(rows[0], rows[-1] + 1), slice(columns[0], columns[-1] + 1))
    region = canvas[box]
    if target.ndim == 3:
        target = np.broadcast_to(target, canvas.shape)[box]
    change = np.subtract(target, region, dtype=np.float32)
    change *= weight[box][..., None]
    region += change


def _smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates as (rows, columns) broadcastable arrays."""
    return np.arange(height, dtype=np.float32)[:, None], np.arange(width, dtype=np.float32)[None, :]


def _polygon_alpha(height: int, width: int, polygons: Sequence[np.ndarray]) -> np.ndarray:
    layer = np.zeros((height, width), np.uint8)
    cv2.fillPoly(layer, [np.round(p * 16).astype(np.int32) for p in polygons], 255, cv2.LINE_AA, shift=4)
    return layer.astype(np.float32) / 255.0


def _glow(height: int, width: int, cx: float, cy: float, radius: float) -> np.ndarray:
    rows, cols = _grid(height, width)
    return np.exp(-((cols - cx) ** 2 + (rows - cy) ** 2) / (2.0 * radius**2))


def _disc(height: int, width: int, cx: float, cy: float, radius: float) -> np.ndarray:
    rows, cols = _grid(height, width)
    distance = np.sqrt((cols - cx) ** 2 + (rows - cy) ** 2)
    return np.clip(radius - distance + 0.5, 0.0, 1.0)


def _clouds(canvas: Canvas, rng: np.random.Generator, top: float, bottom: float, cover: float, tint: Colour) -> None:
    height, width = canvas.shape[:2]
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    band = _smoothstep(top, top + 0.08, rows) * (1.0 - _smoothstep(bottom - 0.12, bottom, rows))
    density = _smoothstep(1.0 - cover, 1.0 - cover + 0.25, _noise(rng, height, width, 3, 5, stretch=2.5))
    _paint(canvas, 0.85 * density * band, tint)


def _tapered_line(layer: np.ndarray, points: np.ndarray, start_width: float, end_width: float) -> None:
    """Draw a polyline whose thickness shrinks from start to end (palm trunks and fronds)."""
    for i in range(len(points) - 1):
        thickness = start_width + (end_width - start_width) * i / max(1, len(points) - 2)
        p0 = tuple(int(v) for v in np.round(points[i] * 16))
        p1 = tuple(int(v) for v in np.round(points[i + 1] * 16))
        cv2.line(layer, p0, p1, 255, max(1, round(thickness)), cv2.LINE_AA, shift=4)


# ---------------------------------------------------------------------------------------------------------------
# Scenes: each takes (rng, height, width, focus_x) and returns a canvas.


def _meadow(rng: np.random.Generator, height: int, width: int, focus_x: float) -> Canvas:
    canvas = _vertical_gradient(
        height, width, [(0.0, (84, 156, 232)), (0.55, (196, 228, 250)), (1.0, (220, 238, 250))]
    )
    scale = min(height, width)
    sun_x = (1.0 - focus_x) * width
    _paint(canvas, 0.55 * _glow(height, width, sun_x, 0.12 * height, 0.16 * scale), (255, 246, 200))
    _paint(canvas, _disc(height, width, sun_x, 0.12 * height, 0.06 * scale), (255, 250, 215))
    _clouds(canvas, rng, 0.0, 0.5, 0.38, (255, 255, 255))

    # Rainbow: concentric soft bands around a centre below the horizon; the hills hide its feet.
    rows, cols = _grid(height, width)
    radius = np.sqrt((cols - focus_x * width) ** 2 + (rows - 0.78 * height) ** 2) / scale
    inner = float(rng.uniform(0.42, 0.5))
    colours = [(228, 60, 60), (245, 145, 45), (250, 225, 70), (90, 190, 80), (60, 130, 220), (110, 80, 200)]
    band = 0.028
    for i, colour in enumerate(colours):
        r0 = inner + (len(colours) - 1 - i) * band
        alpha = _smoothstep(r0 - 0.006, r0, radius) * (1.0 - _smoothstep(r0 + band, r0 + band + 0.006, radius))
        _paint(canvas, 0.55 * alpha, colour)

    # Rolling hills, far to near: lighter and bluer far away, saturated and textured close by.
    xs = np.linspace(0.0, 1.0, width, dtype=np.float32)
    hills = [
        (0.56, 0.045, (150, 200, 150)),
        (0.64, 0.06, (110, 185, 95)),
        (0.76, 0.07, (70, 160, 60)),
    ]
    texture = _noise(rng, height, width, 40, 3)
    rows01 = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    for base, amplitude, colour in hills:
        phase, freq = rng.uniform(0, 2 * np.pi), rng.uniform(1.5, 3.2)
        ridge = (
            base
            + amplitude * np.sin(freq * np.pi * xs + phase)
            + 0.4 * amplitude * np.sin(2.7 * freq * np.pi * xs + 2 * phase)
        )
        inside = _smoothstep(0.0, 1.5 / height, rows01 - ridge[None, :])
        shade = (0.92 + 0.14 * texture[..., None]) * (1.0 - 0.25 * (rows01[..., None] - base))
        _paint(canvas, inside, _rgb(colour) * shade)

    # Wild flowers, more and larger towards the front.
    layer = np.zeros((height, width, 3), np.uint8)
    alpha = np.zeros((height, width), np.uint8)
    petals = [(250, 110, 170), (255, 230, 90), (255, 255, 255), (175, 120, 230), (255, 150, 90)]
    count = int(0.0006 * width * height)
    ys = 0.66 + 0.34 * np.sqrt(rng.random(count))
    for x, y, colour_index in zip(rng.random(count), ys, rng.integers(0, len(petals), count), strict=True):
        r = max(1, round((0.002 + 0.009 * (y - 0.66) / 0.34) * scale))
        centre = (int(x * width), int(y * height))
        cv2.circle(alpha, centre, r, 255, -1, cv2.LINE_AA)
        cv2.circle(layer, centre, r, petals[colour_index], -1, cv2.LINE_AA)
    _paint(canvas, alpha.astype(np.float32) / 255.0, layer.astype(np.float32) / 255.0)
    return canvas


def _floating_city(rng: np.random.Generator, height: int, width: int, focus_x: float) -> Canvas:
    stops = [(0.0, (48, 28, 92)), (0.3, (150, 60, 128)), (0.55, (244, 120, 80)), (0.7, (255, 196, 112))]
    canvas = _vertical_gradient(height, width, [*stops, (0.78, (250, 170, 130)), (1.0, (170, 100, 140))])
    scale = min(height, width)
    sun_x, sun_y = focus_x * width, 0.66 * height
    _paint(canvas, 0.7 * _glow(height, width, sun_x, sun_y, 0.22 * scale), (255, 214, 140))
    _paint(canvas, _disc(height, width, sun_x, sun_y, 0.075 * scale), (255, 236, 180))

    # Sea of clouds below the horizon and thin streaks across the sunset.
    rows01 = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    streaks = _noise(rng, height, width, 2, 5, stretch=5.0)
    _paint(canvas, 0.45 * _smoothstep(0.55, 0.85, streaks) * (1.0 - _smoothstep(0.4, 0.6, rows01)), (255, 170, 150))
    sea = _smoothstep(0.72, 0.8, rows01) * (0.6 + 0.4 * _noise(rng, height, width, 6, 4, stretch=3.0))
    _paint(canvas, 0.8 * sea, (236, 176, 186))

    # Floating islands with towers: far ones small and hazy, near ones large and dark, with a warm rim light.
    haze_colour = np.array([190, 110, 140], np.float32)
    silhouette = np.array([40, 22, 60], np.float32)
    count = int(rng.integers(4, 7))
    depths = np.sort(rng.uniform(0.0, 1.0, count))
    for index, depth in enumerate(depths.tolist()):  # Python floats: numpy's float64 would promote the layers
        size = (0.1 + 0.14 * depth) * width
        cx = (index + 0.5 + rng.uniform(-0.3, 0.3)) / count * width
        cy = (0.3 + 0.3 * rng.random() - 0.1 * depth) * height
        alpha = _island(rng, height, width, cx, cy, size)
        colour = haze_colour + (silhouette - haze_colour) * (0.35 + 0.65 * depth)
        rim = np.clip(alpha - np.roll(alpha, max(1, round(0.004 * height)), axis=0), 0.0, 1.0)
        _paint(canvas, alpha, colour)
        _paint(canvas, 0.8 * rim * depth, (255, 180, 110))
        _waterfall(canvas, rng, cx, cy, size, depth)
        _windows(canvas, rng, alpha, cx, cy, size)
    return canvas


def _island(rng: np.random.Generator, height: int, width: int, cx: float, cy: float, size: float) -> np.ndarray:
    steps = 24
    u = np.linspace(-1.0, 1.0, steps)
    top = np.stack([cx + u * size / 2, cy + size * 0.02 * rng.standard_normal(steps)], axis=1)
    depth = size * (0.45 + 0.2 * rng.random()) * (1.0 - np.abs(u) ** 1.4)
    jag = size * 0.05 * rng.standard_normal(steps)
    bottom = np.stack([cx + u * size / 2, cy + np.maximum(0.0, depth + jag)], axis=1)[::-1]
    polygons = [np.concatenate([top, bottom])]
    for _ in range(int(rng.integers(3, 7))):
        tx = cx + rng.uniform(-0.38, 0.38) * size
        tw = size * rng.uniform(0.05, 0.1)
        th = size * rng.uniform(0.25, 0.8)
        spire = th * rng.uniform(0.0, 0.25)
        polygons.append(
            np.array(
                [
                    [tx - tw / 2, cy],
                    [tx - tw / 2, cy - th],
                    [tx, cy - th - spire],
                    [tx + tw / 2, cy - th],
                    [tx + tw / 2, cy],
                ]
            )
        )
    return _polygon_alpha(height, width, polygons)


def _waterfall(canvas: Canvas, rng: np.random.Generator, cx: float, cy: float, size: float, depth: float) -> None:
    height, width = canvas.shape[:2]
    x = cx + rng.uniform(-0.25, 0.25) * size
    fall_width = max(1.0, size * 0.035)
    rows, cols = _grid(height, width)
    column = np.exp(-(((cols - x) / fall_width) ** 2))
    length = size * (0.6 + 0.6 * depth)
    along = (rows - cy - size * 0.1) / length
    fade = _smoothstep(0.0, 0.05, along) * (1.0 - _smoothstep(0.4, 1.0, along))
    _paint(canvas, 0.55 * column * fade, (225, 235, 255))


def _windows(canvas: Canvas, rng: np.random.Generator, alpha: np.ndarray, cx: float, cy: float, size: float) -> None:
    height, width = canvas.shape[:2]
    lights = np.zeros((height, width), np.uint8)
    for _ in range(int(size / 4)):
        x = int(cx + rng.uniform(-0.45, 0.45) * size)
        y = int(cy - rng.uniform(0.03, 0.75) * size)
        if 0 <= x < width and 0 <= y < height and alpha[y, x] > 0.99:
            cv2.circle(lights, (x, y), max(1, round(size * 0.006)), 255, -1, cv2.LINE_AA)
    _paint(canvas, lights.astype(np.float32) / 255.0 * 0.9, (255, 214, 130))


def _cosmos(rng: np.random.Generator, height: int, width: int, focus_x: float) -> Canvas:
    canvas = _vertical_gradient(height, width, [(0.0, (4, 4, 16)), (0.6, (14, 8, 36)), (1.0, (24, 10, 40))])
    scale = min(height, width)

    # Nebula: two colour clouds of fractal noise, kept dim so the sky stays dark.
    for cells, colour, strength in ((2.5, (190, 50, 170), 0.55), (3.5, (40, 150, 220), 0.45)):
        cloud = _smoothstep(0.45, 1.0, _noise(rng, height, width, cells, 6)) * _noise(rng, height, width, 8, 3)
        canvas += _rgb(colour) * (strength * cloud)[..., None]

    # Stars: many faint points plus a few bright ones with a glow.
    stars = np.zeros((height, width), np.float32)
    count = int(0.004 * width * height)
    ys, xs = rng.integers(0, height, count), rng.integers(0, width, count)
    stars[ys, xs] = rng.random(count) ** 3
    bright = stars > 0.6
    stars += cv2.GaussianBlur(bright.astype(np.float32) * stars, (0, 0), max(1.0, scale / 400)) * 2.5
    canvas += stars[..., None] * _rgb((255, 245, 235))

    # Ringed planet: shaded, banded disc with its ring split into a back and a front half.
    px, py, pr = focus_x * width, rng.uniform(0.22, 0.34) * height, rng.uniform(0.11, 0.15) * scale
    tilt = float(rng.uniform(-0.35, 0.35))
    rows, cols = _grid(height, width)
    dx, dy = cols - px, rows - py
    cos_tilt, sin_tilt = math.cos(tilt), math.sin(tilt)  # Python floats keep the arrays float32
    along = dx * cos_tilt + dy * sin_tilt
    across = -dx * sin_tilt + dy * cos_tilt
    ring_r = np.sqrt(along**2 + (across / 0.28) ** 2) / pr
    ring = _smoothstep(1.35, 1.4, ring_r) * (1.0 - _smoothstep(2.1, 2.15, ring_r))
    ring *= 0.55 + 0.35 * np.sin(ring_r * 40.0) ** 2
    ring_colour = (230, 200, 160)
    _paint(canvas, 0.85 * ring * (across < 0), ring_colour)
    disc = _disc(height, width, px, py, pr)
    light = np.clip(1.0 - ((dx + 0.45 * pr) ** 2 + (dy + 0.45 * pr) ** 2) / (2.2 * pr) ** 2, 0.15, 1.0)
    bands = 0.75 + 0.25 * np.sin(across / pr * 9.0 + 2.0 * _noise(rng, height, width, 6, 3))
    planet = np.stack([0.9 * bands, 0.62 * bands, 0.45 * bands], axis=-1) * light[..., None]
    _paint(canvas, disc, planet)
    _paint(canvas, 0.85 * ring * (across >= 0), ring_colour)

    # Alien ground: a dark rocky horizon with a faint violet rim.
    xs = np.linspace(0.0, 1.0, width, dtype=np.float32)
    ridge = (
        0.8
        + 0.04 * np.sin(xs * rng.uniform(3, 6) + rng.uniform(0, 6))
        + 0.03 * (_noise(rng, 1, width, 10, 4)[0] - 0.5)
    )
    rows01 = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    ground = _smoothstep(0.0, 1.5 / height, rows01 - ridge[None, :])
    rock = (0.6 + 0.4 * _noise(rng, height, width, 20, 4))[..., None] * _rgb((40, 24, 56))
    _paint(canvas, ground, rock)
    rim = _smoothstep(0.0, 1.5 / height, rows01 - ridge[None, :]) * (1.0 - _smoothstep(0.0, 0.01, rows01 - ridge))
    _paint(canvas, 0.6 * rim, (170, 110, 230))
    return canvas


def _forest(rng: np.random.Generator, height: int, width: int, focus_x: float) -> Canvas:
    canvas = _vertical_gradient(height, width, [(0.0, (150, 190, 120)), (0.5, (110, 160, 100)), (1.0, (40, 70, 35))])
    rows01 = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    fog = np.array([170, 200, 150], np.float32)
    bark = np.array([52, 38, 28], np.float32)

    # Trunks in three depths: thin and misty far away, thick and dark close by.
    bark_texture = _noise(rng, height, width, 60, 3, stretch=0.15)
    for depth, count in ((0.25, 14), (0.55, 9), (0.9, 5)):
        polygons = []
        for _ in range(count):
            x = rng.uniform(-0.05, 1.05) * width
            half = (0.008 + 0.035 * depth) * width * rng.uniform(0.7, 1.3)
            lean = rng.uniform(-0.3, 0.3) * half
            corners = [(x - half * 0.8 + lean, 0), (x + half * 0.8 + lean, 0), (x + half * 1.3, height)]
            polygons.append(np.array([*corners, (x - half * 1.3, height)]))
        colour = fog + (bark - fog) * depth
        shade = (0.75 + 0.5 * bark_texture[..., None]) if depth > 0.5 else 1.0
        _paint(canvas, _polygon_alpha(height, width, polygons), _rgb(colour) * shade)

    # Canopy: dark leafy clumps in the top third.
    leaves = _noise(rng, height, width, 6, 5)
    canopy = _smoothstep(0.45, 0.6, leaves + 0.5 * (1.0 - _smoothstep(0.0, 0.4, rows01)) - 0.25)
    _paint(
        canvas, canopy * (1.0 - _smoothstep(0.15, 0.45, rows01)), _rgb((28, 62, 30)) * (0.7 + 0.6 * leaves[..., None])
    )

    # Forest floor with ferns.
    floor = _smoothstep(0.8, 0.86, rows01 + 0.05 * (_noise(rng, height, width, 8, 3) - 0.5))
    _paint(canvas, floor, _rgb((46, 86, 36)) * (0.6 + 0.6 * _noise(rng, height, width, 40, 3)[..., None]))

    # Sun rays slanting down from the top towards focus_x, and a few fireflies.
    rows, cols = _grid(height, width)
    slant = (cols - focus_x * width) - 0.35 * rows
    rays = np.zeros((height, width), np.float32)
    for offset in (rng.uniform(-0.35, 0.35, 5) * width).tolist():
        rays += np.exp(-(((slant - offset) / (rng.uniform(0.02, 0.05) * width)) ** 2))
    canvas += (0.22 * rays * (1.0 - _smoothstep(0.0, 0.95, rows01)))[..., None] * _rgb((255, 240, 170))
    glow = np.zeros((height, width), np.float32)
    count = int(rng.integers(25, 45))
    glow[rng.integers(int(0.3 * height), height, count), rng.integers(0, width, count)] = 1.0
    glow = cv2.GaussianBlur(glow, (0, 0), max(1.5, min(height, width) / 250)) * (min(height, width) / 60) ** 2
    canvas += np.clip(glow, 0, 1)[..., None] * _rgb((255, 240, 120))
    return canvas


def _beach(rng: np.random.Generator, height: int, width: int, focus_x: float) -> Canvas:
    horizon, shore = 0.42 + rng.uniform(-0.03, 0.03), 0.7
    canvas = _vertical_gradient(height, width, [(0.0, (60, 140, 228)), (horizon, (185, 224, 250)), (1.0, (0, 0, 0))])
    scale = min(height, width)
    _paint(canvas, 0.5 * _glow(height, width, focus_x * width, 0.1 * height, 0.15 * scale), (255, 250, 220))
    _clouds(canvas, rng, 0.0, horizon, 0.3, (255, 255, 255))

    rows01 = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    sea_depth = np.clip((rows01 - horizon) / (shore - horizon), 0.0, 1.0)[..., None]
    sea = _rgb((20, 110, 170)) + (_rgb((60, 205, 200)) - _rgb((20, 110, 170))) * sea_depth
    waves = _noise(rng, height, width, 4, 5, stretch=8.0)
    sea = sea + (0.18 * _smoothstep(0.6, 0.9, waves))[..., None]
    _paint(canvas, (rows01 >= horizon).astype(np.float32) * np.ones((1, width), np.float32), sea)

    xs = np.linspace(0.0, 1.0, width, dtype=np.float32)
    waterline = shore + 0.012 * np.sin(xs * rng.uniform(8, 14) + rng.uniform(0, 6))
    sand_alpha = _smoothstep(0.0, 1.5 / height, rows01 - waterline[None, :])
    grain = _noise(rng, height, width, 80, 2)
    sand = _rgb((240, 222, 176)) * (0.92 + 0.12 * grain[..., None]) * (1.0 - 0.12 * (rows01[..., None] - shore))
    _paint(canvas, sand_alpha, sand)
    foam = np.exp(-(((rows01 - waterline[None, :]) * height / (0.008 * height)) ** 2))
    _paint(canvas, 0.8 * foam, (250, 252, 255))

    # Palm silhouettes leaning in from both edges.
    layer = np.zeros((height, width), np.uint8)
    for side in (-1.0, 1.0):
        if rng.random() < 0.15:
            continue
        base_x = (0.5 + side * rng.uniform(0.38, 0.5)) * width
        top = np.array([base_x - side * rng.uniform(0.05, 0.14) * width, rng.uniform(0.12, 0.25) * height])
        base = np.array([base_x, height * 1.02])
        t = np.linspace(0.0, 1.0, 16)[:, None]
        bend = np.array([side * 0.05 * width, 0.0])
        trunk = base + (top - base) * t + bend * np.sin(np.pi * t)
        _tapered_line(layer, trunk, 0.028 * scale, 0.014 * scale)
        for angle in np.linspace(-0.97 * np.pi, -0.03 * np.pi, 8) + rng.uniform(-0.15, 0.15, 8):
            length = rng.uniform(0.17, 0.25) * scale
            frond = (
                top
                + length * t * np.array([np.cos(angle), 0.7 * np.sin(angle)])
                + np.array([0.0, 0.8 * length]) * t**2
            )
            _tapered_line(layer, frond, 0.014 * scale, 0.003 * scale)
            _leaflets(layer, frond, 0.07 * scale)
    _paint(canvas, layer.astype(np.float32) / 255.0, (30, 48, 34))
    return canvas


def _leaflets(layer: np.ndarray, frond: np.ndarray, length: float) -> None:
    """Short leaves hanging down both sides of a palm frond, shorter towards its tip."""
    for i in range(2, len(frond) - 1):
        tangent = frond[i + 1] - frond[i]
        tangent = tangent / max(float(np.hypot(*tangent)), 1e-6)
        size = length * (1.0 - i / len(frond)) + 0.2 * length
        for side in (-1.0, 1.0):
            normal = np.array([-tangent[1], tangent[0]]) * side
            tip = frond[i] + size * (0.6 * normal + 0.4 * tangent + np.array([0.0, 0.7]))
            _tapered_line(layer, np.array([frond[i], tip]), max(1.0, 0.06 * length), 1.0)


def _gradient(rng: np.random.Generator, height: int, width: int, focus_x: float) -> Canvas:
    palettes = [
        ((255, 179, 167), (150, 120, 220)),
        ((120, 200, 230), (250, 200, 150)),
        ((170, 230, 190), (90, 140, 210)),
    ]
    start, end = palettes[int(rng.integers(0, len(palettes)))]
    rows, cols = _grid(height, width)
    t = np.clip((rows / height + cols / width) / 2.0, 0.0, 1.0)[..., None]
    canvas = (_rgb(start) + (_rgb(end) - _rgb(start)) * t).astype(np.float32)
    scale = min(height, width)
    bokeh = np.zeros((height, width), np.uint8)
    for _ in range(14):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.circle(bokeh, centre, int(rng.uniform(0.03, 0.09) * scale), 255, -1, cv2.LINE_AA)
    _paint(
        canvas, 0.18 * cv2.GaussianBlur(bokeh, (0, 0), 0.01 * scale + 1).astype(np.float32) / 255.0, (255, 255, 255)
    )
    return canvas


_SCENES: dict[str, Callable[[np.random.Generator, int, int, float], Canvas]] = {
    "meadow": _meadow,
    "floating-city": _floating_city,
    "cosmos": _cosmos,
    "forest": _forest,
    "beach": _beach,
    "gradient": _gradient,
}
