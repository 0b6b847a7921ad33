"""``python -m bench.segment_step``: the real segment step in a one-core sandbox, both segmenters and photo sizes."""

from __future__ import annotations

import shutil

import pytest

from bench import segment_step


@pytest.mark.skipif(shutil.which("taskset") is None, reason="util-linux's taskset pins the child to one core")
def test_the_bench_times_both_segmenters_through_the_real_step_on_one_core() -> None:
    lines = segment_step.run(rounds=1)

    text = "\n".join(lines)
    assert "cpus [0]" in lines[0], lines[0]  # one core, as the function has
    for photo in ("12 MP photo (4000x3000", "2 MP photo (1632x1224"):
        (title,) = [line for line in lines if photo in line]
        # detect_face's working image, and both people of the photo found
        assert "working image 1024x768, 2 faces" in title and "selfie model on ONNX Runtime vs GrabCut" in title
    assert text.count("    ours ") == 2 and text.count("    baseline ") == 2
    assert text.count("x faster") + text.count("SLOWER") == 2  # a ratio against GrabCut of the same run, per photo
