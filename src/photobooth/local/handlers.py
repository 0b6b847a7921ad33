"""The workflow's Lambda functions run in this process: where the checkout is, how a handler module is loaded,
the context object Powertools reads, and the call that answers an invocation by function name.

Both the engine (:mod:`photobooth.local.engine`, which makes the resources) and moto's patches
(:mod:`photobooth.local.moto_patches`, which route the interpreter's Lambda tasks here) import this module; it imports
neither, so the two do not import each other.
"""

from __future__ import annotations

import gc
import importlib.util
import logging
import os
import threading
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

log = logging.getLogger("photobooth.local")

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"

# Step Functions task name in the ASL → Lambda function name → handler folder.
FUNCTIONS: dict[str, str] = {
    "photobooth-detect-face": "detect_face",
    "photobooth-segment": "segment",
    "photobooth-generate": "generate",
    "photobooth-finalize": "finalize",
}


def project_root() -> Path:
    """The checkout that holds ``functions/`` and ``statemachine/`` (the package is installed editable from it)."""
    override = os.environ.get("PHOTOBOOTH_HOME")
    candidates = [Path(override)] if override else []
    candidates.append(Path(__file__).resolve().parents[3])
    for candidate in candidates:
        if (candidate / "statemachine" / "definition.asl.json").is_file():
            return candidate
    raise RuntimeError("cannot find statemachine/definition.asl.json; set PHOTOBOOTH_HOME to the checkout")


# --- handler dispatch -------------------------------------------------------------------------------------

_handler_modules: dict[str, ModuleType] = {}
_handler_lock = threading.Lock()


def load_handler(folder: str) -> Callable[[dict, Any], Any]:
    """Import ``functions/<folder>/handler.py`` under a unique module name (every folder has a ``handler.py``)."""
    with _handler_lock:
        module = _handler_modules.get(folder)
        if module is None:
            path = project_root() / "functions" / folder / "handler.py"
            spec = importlib.util.spec_from_file_location(f"photobooth_functions.{folder}.handler", path)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            _handler_modules[folder] = module
    return module.handler  # type: ignore[no-any-return]


def warm_up_in_background() -> threading.Thread:
    """Import every handler (and the libraries behind them) in a daemon thread once the booth is ready, so the
    first visitor does not wait for about a second of imports; a request that comes first simply waits on the
    same import lock.

    Then everything loaded so far (moto's models, botocore's, the handlers' libraries: a few hundred thousand
    objects that live as long as the booth) is moved out of the garbage collector's sight with ``gc.freeze``:
    every few photos a full collection walked them all and paused the booth for ~0.2 s."""

    def warm_up() -> None:
        for handler in sorted((project_root() / "functions").glob("*/handler.py")):
            try:
                load_handler(handler.parent.name)
            except Exception:  # the request that needs it will report the failure properly
                log.exception("could not preload %s", handler.parent.name)
        gc.freeze()

    thread = threading.Thread(target=warm_up, name="handler-warm-up", daemon=True)
    thread.start()
    return thread


def lambda_context(function_name: str) -> SimpleNamespace:
    """What Powertools reads from a Lambda context object."""
    return SimpleNamespace(
        function_name=function_name,
        function_version="$LATEST",
        invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name}",
        memory_limit_in_mb=1024,
        aws_request_id=str(uuid.uuid4()),
        log_group_name=f"/aws/lambda/{function_name}",
        log_stream_name="local",
        get_remaining_time_in_millis=lambda: 300_000,
    )


def invoke_function(function_name: str, payload: dict) -> tuple[bool, dict]:
    """Run a workflow function in process. Returns ``(ok, body)``; on failure ``body`` is Lambda's error shape."""
    name = function_name.rsplit(":", 1)[-1] if function_name.startswith("arn:") else function_name
    folder = FUNCTIONS.get(name)
    if folder is None:
        return False, {"errorType": "ResourceNotFoundException", "errorMessage": f"no function {name}"}
    try:
        return True, load_handler(folder)(payload, lambda_context(name))
    except Exception as error:
        return False, {
            "errorType": type(error).__name__,
            "errorMessage": str(error),
            "stackTrace": traceback.format_exception(error)[-3:],
        }
