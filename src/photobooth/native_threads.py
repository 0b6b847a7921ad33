"""Native thread pools the booth has no use for.

numpy's OpenBLAS starts one worker thread per core when numpy is imported, and the workers spin for a while before
they sleep. The booth makes no BLAS call worth a thread (its one ``einsum`` does not use BLAS), yet the start costs
about 80 ms of CPU per process: on Lambda, where a 1 GB function has less than one vCPU, that CPU is taken from the
cold start itself, and on a two-core laptop from the rest of ``photobooth serve``'s start-up. OpenBLAS reads the
variable when it is loaded, so it must be set before numpy (or OpenCV, which imports numpy) is first imported:
the CDK app puts it in every function's environment, the local CLI sets it first thing.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

ENVIRONMENT: dict[str, str] = {"OPENBLAS_NUM_THREADS": "1"}


def limit_native_threads(environ: MutableMapping[str, str] = os.environ) -> None:
    """Set each limit unless the operator already chose a value (theirs wins)."""
    for name, value in ENVIRONMENT.items():
        environ.setdefault(name, value)
