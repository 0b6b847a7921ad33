"""photobooth: a visitor's photo becomes themed AI images that keep their face."""

__version__ = "0.1.0"
