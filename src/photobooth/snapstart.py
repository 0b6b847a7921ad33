"""Lambda SnapStart: what a snapshot may hold, and what each restored execution environment makes again.

With SnapStart, Lambda runs a function's init (the handler module's imports) once, when a version is published,
and resumes every later cold start from a snapshot of that process
(https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html). Whatever init made is then shared by every
environment restored from it. AWS's rules (https://docs.aws.amazon.com/lambda/latest/dg/snapstart-uniqueness.html):
anything random or unique made during init must be made again after restore; ``os.urandom`` and ``secrets``
(our request ids, wall ids) ask the kernel each time and stay unique.

What init holds here, and why that is safe:

- imports only (the bulk of a cold start, what the snapshot saves). No AWS client, credentials or network
  connection is made at import (``photobooth.wiring`` builds the clients on first use, that is after restore),
  so none can be stale in a snapshot.
- ``random``'s state: seeded from ``os.urandom`` when ``random`` was imported, i.e. in the snapshot, and then the
  same in every restored environment. botocore draws its retry back-off jitter from it, and the X-Ray SDK its
  sampling; identical sequences would make restored environments retry in lockstep. Re-seeded after restore.
- numpy's global generator, when init loaded ``numpy.random`` (numpy loads it lazily, on first use): the same,
  re-seeded. The API functions never import numpy (their cold start), and the hook loads nothing itself.

The hooks are registered with AWS's Snapshot Restore for Python library (``snapshot_restore_py``), which the
Python managed runtimes include (https://docs.aws.amazon.com/lambda/latest/dg/snapstart-runtime-hooks-python.html).
Lambda runs only hooks registered by modules the handler file imports: every handler imports
``photobooth.observability``, which imports this module. Outside Lambda (``photobooth serve``, tests) without the
library, nothing is registered: no snapshot is ever taken there.
"""

from __future__ import annotations

import random
import sys


def reseed_after_restore() -> None:
    """Fresh entropy for the generators a snapshot would otherwise hand identically to every environment."""
    random.seed()  # from os.urandom
    # numpy makes its global generator when numpy.random is first loaded; one loaded after restore is already
    # seeded from the OS, and loading it here would only lengthen every restore.
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None:
        numpy_random.seed()  # the legacy global generator, from the OS as well


def _register() -> bool:
    try:
        from snapshot_restore_py import register_after_restore
    except ImportError:
        return False
    register_after_restore(reseed_after_restore)
    return True


REGISTERED = _register()
