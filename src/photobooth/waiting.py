"""Whether a ``POST /photo`` caller may be kept waiting for its result: the HTTP server that holds the caller's
connection decides.

On Lambda each call has a sandbox of its own and API Gateway holds the connection: every caller may wait, and none
is seen to hang up. ``photobooth serve`` runs every call on a thread of one process, so it bounds how many wait at
once (past the bound a call answers ``202`` at once, with the ``statusUrl`` to poll) and stops a wait whose caller
has hung up (:mod:`photobooth.local.server`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Protocol


class Caller(Protocol):
    def may_wait(self) -> contextlib.AbstractContextManager[bool]:
        """A waiting place for the call's duration; ``False`` when every place is taken."""
        ...

    def gone(self) -> bool:
        """Whether the caller has hung up: nobody would read the answer."""
        ...


class PatientCaller:
    """A call on Lambda: it may always wait and is never seen to hang up."""

    @contextlib.contextmanager
    def may_wait(self) -> Iterator[bool]:
        yield True

    def gone(self) -> bool:
        return False


_PATIENT = PatientCaller()
_caller: ContextVar[Caller | None] = ContextVar("photobooth_caller", default=None)


def current_caller() -> Caller:
    return _caller.get() or _PATIENT


@contextlib.contextmanager
def calling(caller: Caller) -> Iterator[None]:
    """The caller of the API call handled inside the block (on this thread)."""
    token = _caller.set(caller)
    try:
        yield
    finally:
        _caller.reset(token)
