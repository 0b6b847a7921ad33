"""One cut-out per photo for all its themes, when they are made in one process.

The offline booth runs the workflow's Map iterations as threads of one process, so the themes of a photo can share
the work that does not depend on the background: decoding the original at print size and refining and blending
its outline (:class:`photobooth.imaging.CutOut`, ~0.2 s of CPU per theme at 1536 px). On Lambda every iteration
has a sandbox of its own, nothing would be shared, and a sandbox would only hold a visitor's pixels longer: the
wiring gives ``None`` there, and each image is composed a tile at a time as before.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future

from photobooth.imaging import CutOut


class SharedCutOuts:
    """Cut-outs by key (the request's id first). The first theme to need one makes it and the others wait for it;
    a failure reaches them all. At most ``keep`` are held (two photos at once, and a request whose run died before
    its end), and ``forget`` drops a request's when it ends."""

    def __init__(self, keep: int = 4) -> None:
        self._keep = keep
        self._lock = threading.Lock()
        self._made: OrderedDict[tuple[Hashable, ...], Future[CutOut]] = OrderedDict()

    def get(self, key: tuple[Hashable, ...], make: Callable[[], CutOut]) -> CutOut:
        with self._lock:
            future = self._made.get(key)
            mine = future is None
            if future is None:
                future = self._made[key] = Future()
                while len(self._made) > self._keep:
                    self._made.popitem(last=False)
        if mine:
            try:
                future.set_result(make())
            except BaseException as error:
                with self._lock:
                    if self._made.get(key) is future:
                        del self._made[key]  # the next try makes it again
                future.set_exception(error)
                raise
        return future.result()

    def forget(self, request_id: str) -> None:
        """Drop the request's cut-outs: its images are made (or it was erased)."""
        with self._lock:
            for key in [key for key in self._made if key[0] == request_id]:
                del self._made[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._made)
