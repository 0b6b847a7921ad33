"""The layer carries ONNX Runtime for the segment function's selfie model, slimmed, and fits Lambda's size limit."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import build_layer  # infra/ is on sys.path (conftest)
import onnxruntime
import pytest

from photobooth.offline.selfie_model import SELFIE_ONNX

RUN_THE_MODEL = """
import sys, numpy, onnxruntime
assert onnxruntime.__file__.startswith(sys.argv[1]), onnxruntime.__file__
session = onnxruntime.InferenceSession(sys.argv[2], providers=["CPUExecutionProvider"])
(output,) = session.run(None, {"input": numpy.full((1, 256, 256, 3), 0.5, numpy.float32)})
print(output.shape)
"""


def test_the_layer_installs_the_pinned_onnx_runtime_without_its_tool_dependencies() -> None:
    (requirement,) = build_layer.extra_requirements(build_layer.SEGMENTER_EXTRA)
    assert requirement == f"onnxruntime=={onnxruntime.__version__}", "the layer runs the version the tests ran"
    # the domain's own requirements do not pull it (with its protobuf) in with dependencies
    assert not any(r.startswith("onnxruntime") for r in build_layer.layer_requirements())


def test_the_slimmed_onnx_runtime_still_runs_the_selfie_model(tmp_path: Path) -> None:
    """What build_layer removes is never loaded: the model runs on a copy of this machine's onnxruntime without it
    (same wheel layout as the aarch64 one: capi/ with the static Python module beside the C API library)."""
    site = tmp_path / "python"
    shutil.copytree(Path(onnxruntime.__file__).parent, site / "onnxruntime")
    assert list((site / "onnxruntime" / "capi").glob("libonnxruntime.so*")), "the wheel ships the C API library"

    freed = build_layer.slim_onnxruntime(site)

    assert freed > 10 * 2**20
    assert not list((site / "onnxruntime" / "capi").glob("libonnxruntime.so*"))
    assert not (site / "onnxruntime" / "transformers").exists()
    run = subprocess.run(
        [sys.executable, "-c", RUN_THE_MODEL, str(site), str(SELFIE_ONNX)],
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "(1, 256, 256, 1)"


def test_a_layer_over_lambda_s_limit_fails_the_build(tmp_path: Path) -> None:
    # Lambda: 250 MB for a function's code and layers, unzipped
    # (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)
    site = tmp_path / "python"
    site.mkdir()
    with (site / "big.bin").open("wb") as big:  # sparse: costs no disk
        big.truncate(build_layer.UNZIPPED_LIMIT_BYTES - build_layer.FUNCTION_CODE_ALLOWANCE_BYTES)
    assert (
        build_layer.check_size(site) == build_layer.UNZIPPED_LIMIT_BYTES - build_layer.FUNCTION_CODE_ALLOWANCE_BYTES
    )

    (site / "one_more.py").write_text("x = 1\n")

    with pytest.raises(SystemExit, match="250 MB limit"):
        build_layer.check_size(site)


def test_the_readme_names_every_segmenter_the_functions_accept() -> None:
    """The configuration table and the environment list offer exactly the choices the code takes."""
    import re
    import typing

    from photobooth_infra.config import DeploymentConfig

    from photobooth.config import Settings

    readme = (build_layer.constants.REPO_ROOT / "README.md").read_text(encoding="utf-8")
    choices = typing.get_args(Settings.model_fields["segmentation_backend"].annotation)
    assert choices == typing.get_args(DeploymentConfig.model_fields["segmentation_backend"].annotation)
    (row,) = [line for line in readme.splitlines() if line.startswith("| `segmentation_backend` |")]
    assert set(re.findall(r"`(\w+)` (?:cuts|with|calls)", row)) == set(choices)
    listed = re.search(r"`PHOTOBOOTH_SEGMENTATION_BACKEND` \(([^)]*)\)", readme)
    assert listed is not None and set(re.findall(r"`(\w+)`", listed.group(1))) == set(choices)
