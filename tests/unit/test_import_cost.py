"""What a Lambda cold start loads: each handler module is imported in a fresh interpreter, as Lambda does, and
the heavy libraries it does not need must stay out (their import times are in ``make bench``)."""

from __future__ import annotations

import pytest

from tests.support.fresh import ROOT, fresh_python

HEAVY = ("cv2", "numpy", "PIL")


def _modules_after_import(function: str, modules: tuple[str, ...] = HEAVY, **variables: str) -> set[str]:
    script = f"import json, sys, handler; print(json.dumps([m for m in {list(modules)!r} if m in sys.modules]))"
    loaded = fresh_python("-c", script, path=(ROOT / "src", ROOT / "functions" / function), **variables)
    assert isinstance(loaded, list)
    return set(loaded)


@pytest.mark.parametrize("function", ["presign", "status"])
def test_the_api_functions_load_no_image_library(function: str) -> None:
    assert _modules_after_import(function) == set()


def test_recording_the_result_does_not_load_opencv() -> None:
    assert "cv2" not in _modules_after_import("finalize")


@pytest.mark.parametrize("function", ["status", "generate"])
def test_the_tracer_instruments_botocore_and_loads_no_other_client_library(function: str) -> None:
    """On Lambda (``AWS_LAMBDA_FUNCTION_NAME`` set) Powertools' tracer patches every library the X-Ray SDK knows
    that is installed, importing each: sqlite3, requests, httpx, ... The functions call AWS through botocore only."""
    loaded = _modules_after_import(
        function,
        ("aws_xray_sdk.ext.botocore.patch", "sqlite3", "requests", "httpx", "pymysql"),
        AWS_LAMBDA_FUNCTION_NAME=function,
        LAMBDA_TASK_ROOT=str(ROOT / "functions" / function),
    )
    assert loaded == {"aws_xray_sdk.ext.botocore.patch"}


def test_photobooth_run_loads_no_web_server() -> None:
    """``photobooth run`` works on files: the booth's HTTP server (werkzeug, the S3 proxy) is ``serve``'s alone."""
    script = "import json, sys; import photobooth.local.batch; print(json.dumps('werkzeug' in sys.modules))"
    assert fresh_python("-c", script) is False
