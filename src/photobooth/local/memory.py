"""Keep the booth's resident memory flat: at most two glibc malloc arenas.

glibc gives a thread that allocates while the others hold the lock an arena of its own, up to eight per core, and
rarely returns their memory. The embedded engine starts a new thread for every Map iteration, so a booth that
had processed ten photos held about 1 GB, most of it free space inside idle arenas. ``MALLOC_ARENA_MAX=2`` keeps it
near half of that at the same speed (``make bench`` measures both). glibc reads the variable only when the process
starts, so the same limit is set here through ``mallopt`` (M_ARENA_MAX), which must happen before threads start.
"""

from __future__ import annotations

import ctypes
import os
import sys

ARENAS = 2
_M_ARENA_MAX = -8  # from glibc's malloc.h


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Apply the limit unless ``MALLOC_ARENA_MAX`` is set (it wins); True when a limit was applied here."""
    if sys.platform != "linux" or os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no arenas to limit)
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))
