"""The embedded AWS: moto's S3, DynamoDB, EventBridge, Lambda and its ASL interpreter running the committed
``statemachine/definition.asl.json`` with the real handlers in this process.

This module names the resources (:class:`LocalCloud`) and runs the handlers (:func:`invoke_function`); what moto
needs to behave as AWS does is in :mod:`photobooth.local.moto_patches`, applied when the resources are made; the
threads and run ends the engine tracks are in :mod:`photobooth.local.runs`.

The same :class:`LocalCloud` serves the state-machine tests (in-process ``mock_aws``) and ``photobooth serve``
(moto's threaded server).
"""

from __future__ import annotations

import gc
import importlib.util
import json
import logging
import os
import re
import secrets
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3

from photobooth import wall

log = logging.getLogger("photobooth.local")

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
MOTO_CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


def offline_environment() -> dict[str, str]:
    """What `photobooth serve` and `photobooth run` add to their environment before any handler runs."""
    return {
        # A secret made for this process: moto's gate and the S3 proxy accept only requests signed with it, so no
        # other process on the machine can use moto's port or forge an upload URL. It also keeps boto3 from looking
        # for real credentials.
        "AWS_ACCESS_KEY_ID": f"photobooth-local-{secrets.token_hex(4)}",
        "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(32),
        "AWS_DEFAULT_REGION": REGION,
        "PHOTOBOOTH_BACKEND": "offline",
        "POWERTOOLS_SERVICE_NAME": "photobooth",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }


# Step Functions task name in the ASL → Lambda function name → handler folder.
FUNCTIONS: dict[str, str] = {
    "photobooth-detect-face": "detect_face",
    "photobooth-segment": "segment",
    "photobooth-generate": "generate",
    "photobooth-finalize": "finalize",
}
SUBSTITUTION_FOR_FUNCTION = {
    "DetectFaceFunctionArn": "photobooth-detect-face",
    "SegmentFunctionArn": "photobooth-segment",
    "GenerateFunctionArn": "photobooth-generate",
    "FinalizeFunctionArn": "photobooth-finalize",
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


def definition_path() -> Path:
    return project_root() / "statemachine" / "definition.asl.json"


_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def render_definition(text: str, substitutions: dict[str, str]) -> str:
    """Fill ``${Name}`` placeholders the way CloudFormation's ``Fn::Sub`` does for ``definition_substitutions``;
    a placeholder without a value is an error, not an empty string."""
    missing = sorted(set(_PLACEHOLDER.findall(text)) - substitutions.keys())
    if missing:
        raise KeyError(f"no value for definition substitutions: {missing}")
    return _PLACEHOLDER.sub(lambda match: substitutions[match.group(1)], text)


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


# --- resources --------------------------------------------------------------------------------------------


def _configured_settings() -> Any:
    from photobooth.config import Settings

    return Settings()


@dataclass
class LocalCloud:
    """Creates the service's resources in moto, as the CDK app does on AWS, and runs the committed ASL file."""

    bucket: str = "photobooth-local"
    table: str = "photobooth-status"
    state_machine_name: str = "photobooth"
    # The themes a request without a theme list gets: PHOTOBOOTH_DEFAULT_THEMES (or its default), as on AWS.
    default_themes: tuple[str, ...] = field(default_factory=lambda: _configured_settings().default_themes)
    max_concurrency: int = 3
    state_machine_arn: str = ""

    def substitutions(self) -> dict[str, str]:
        values = {
            key: f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
            for key, name in SUBSTITUTION_FOR_FUNCTION.items()
        }
        values |= {
            "StatusTableName": self.table,
            "DefaultThemes": ",".join(self.default_themes),
            "GenerateMaxConcurrency": str(self.max_concurrency),
        }
        return values

    def environment(self) -> dict[str, str]:
        """What the handlers need to find these resources (the CDK app sets the same variables on AWS)."""
        return {
            "PHOTOBOOTH_BUCKET_NAME": self.bucket,
            "PHOTOBOOTH_TABLE_NAME": self.table,
            "PHOTOBOOTH_STATE_MACHINE_ARN": self.state_machine_arn
            or f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{self.state_machine_name}",
            "PHOTOBOOTH_DEFAULT_THEMES": json.dumps(list(self.default_themes)),
            "PHOTOBOOTH_GENERATE_MAX_CONCURRENCY": str(self.max_concurrency),
        }

    def provision(self, *, notifications: bool = True) -> None:
        from photobooth.local.moto_patches import install_patches  # it imports this module

        install_patches()
        s3 = boto3.client("s3", region_name=REGION)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        sfn = boto3.client("stepfunctions", region_name=REGION)
        events = boto3.client("events", region_name=REGION)

        s3.create_bucket(Bucket=self.bucket)
        dynamodb.create_table(
            TableName=self.table,
            AttributeDefinitions=[
                {"AttributeName": "requestId", "AttributeType": "S"},
                {"AttributeName": wall.WALL_PARTITION_ATTRIBUTE, "AttributeType": "S"},
                {"AttributeName": wall.WALL_SORT_ATTRIBUTE, "AttributeType": "S"},
            ],
            KeySchema=[{"AttributeName": "requestId", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[wall.WALL_INDEX_DEFINITION],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.update_time_to_live(
            TableName=self.table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"}
        )
        # No IAM role and no Lambda functions are created in moto: nothing checks the role, and every Task's
        # invocation is dispatched in process (``moto_patches._InProcessLambda``) without a look at moto's functions.
        # Creating them loaded two more moto backends on every start-up (~110 ms).
        role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/photobooth-local"
        self.state_machine_arn = sfn.create_state_machine(
            name=self.state_machine_name,
            definition=render_definition(definition_path().read_text(), self.substitutions()),
            roleArn=role_arn,
        )["stateMachineArn"]
        rule = "photobooth-photo-uploaded"
        events.put_rule(
            Name=rule,
            EventPattern=json.dumps(
                {
                    "source": ["aws.s3"],
                    "detail-type": ["Object Created"],
                    "detail": {"bucket": {"name": [self.bucket]}, "object": {"key": [{"prefix": "photo/"}]}},
                }
            ),
        )
        events.put_targets(Rule=rule, Targets=[{"Id": "workflow", "Arn": self.state_machine_arn}])
        if notifications:
            self.enable_notifications()

    def enable_notifications(self) -> None:
        boto3.client("s3", region_name=REGION).put_bucket_notification_configuration(
            Bucket=self.bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the duration (tests) and restore them afterwards."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
