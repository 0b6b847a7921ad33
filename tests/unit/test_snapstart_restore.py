"""Environments restored from one SnapStart snapshot draw different random numbers.

A snapshot is a copy of an initialised process; a fork of an initialised process is the same thing on one machine.
So each case imports a handler in a fresh interpreter (Lambda's init), forks it twice (two restored environments,
with `random`'s state as the snapshot holds it),
runs in each child the after-restore hooks exactly as the Lambda runtime finds them (the registry of AWS's
``snapshot_restore_py``, which the Python managed runtimes include), and compares what the children draw.
AWS: "If your initialization code generates unique content that is included in the snapshot, then the content
might not be unique when it is reused across execution environments"; entropy used for pseudorandomness must be
made after init (https://docs.aws.amazon.com/lambda/latest/dg/snapstart-uniqueness.html).
"""

from __future__ import annotations

import pytest

from tests.support.fresh import ROOT, fresh_python

pytest.importorskip("snapshot_restore_py")

_RESTORE_TWICE = r"""
import json, os, sys
import handler  # init: what the snapshot holds
import snapshot_restore_py
if sys.argv[1:] == ["numpy.random"] and "numpy" in sys.modules:
    import numpy.random  # as a library that draws at import would: numpy's generator is then in the snapshot

import random
SNAPSHOT = random.getstate()

def restored_environment():
    # CPython re-seeds `random` in a forked child (os.register_at_fork); a VM snapshot runs no such handler, so the
    # child takes back the state the snapshot would hold. numpy has no at-fork handler: a fork keeps its state.
    random.setstate(SNAPSHOT)
    for hook, args, kwargs in snapshot_restore_py._after_restore_registry:
        hook(*args, **kwargs)
    numpy_random = sys.modules.get("numpy.random")  # drawn from only if the snapshot (or a hook) loaded it
    return {
        "random": random.random(),
        "numpy": float(numpy_random.random()) if numpy_random is not None else None,
    }

draws = []
for _ in range(2):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        os.write(write, json.dumps(restored_environment()).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        draws.append(json.loads(answer.read()))
    os.waitpid(pid, 0)
print(json.dumps({
    "draws": draws,
    "hooks": len(snapshot_restore_py._after_restore_registry),
    "numpy at init": "numpy" in sys.modules,
}))
"""

API = ["authorizer", "presign", "status", "execution_ended"]
WORKFLOW = ["detect_face", "segment", "generate", "finalize"]


def _restore_twice(function: str, *init: str) -> dict:
    folder = ROOT / "infra" / "authorizer" if function == "authorizer" else ROOT / "functions" / function
    answer = fresh_python("-c", _RESTORE_TWICE, *init, path=(ROOT / "src", folder))
    assert isinstance(answer, dict)
    return answer


@pytest.mark.parametrize("function", [*API, *WORKFLOW])
def test_two_restored_environments_draw_different_numbers(function: str) -> None:
    answer = _restore_twice(function)
    first, second = answer["draws"]
    assert first["random"] != second["random"]
    assert answer["hooks"] >= 1


@pytest.mark.parametrize("function", WORKFLOW)
def test_numpys_generator_in_the_snapshot_is_reseeded_in_each_environment(function: str) -> None:
    """numpy loads its global generator lazily (``numpy.random`` on first use); when init loaded it, for instance
    through a library that draws at import, the snapshot holds its state and every restored environment shares it."""
    answer = _restore_twice(function, "numpy.random")
    first, second = answer["draws"]
    assert first["numpy"] is not None
    assert first["numpy"] != second["numpy"]


@pytest.mark.parametrize("function", WORKFLOW)
def test_a_restore_does_not_load_numpys_generator_that_init_did_not(function: str) -> None:
    """A generator loaded after restore is seeded from the OS there: nothing to re-seed, and its import (~13 ms of
    CPU) would only lengthen every restore."""
    answer = _restore_twice(function)
    assert answer["numpy at init"]
    assert [draw["numpy"] for draw in answer["draws"]] == [None, None]


@pytest.mark.parametrize("function", API)
def test_the_api_functions_never_load_numpy(function: str) -> None:
    assert not _restore_twice(function)["numpy at init"]
