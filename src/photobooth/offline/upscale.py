"""The default ``Upscaler``: Lanczos resampling, free and local (the offline booth and AWS unless configured)."""

from __future__ import annotations

from PIL import Image

from photobooth import imaging


class LanczosUpscaler:
    model_id: str | None = None

    def upscale(self, image: Image.Image, size: tuple[int, int]) -> Image.Image:
        return imaging.upscale(image, size)
