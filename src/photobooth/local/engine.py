"""The embedded AWS: moto's S3, DynamoDB, EventBridge, Lambda and its ASL interpreter running the committed
``statemachine/definition.asl.json`` with the real handlers in this process.

moto needs four small patches for that (FACTS.md), all applied by :func:`install_patches` and pinned to the moto
version in pyproject.toml:

1. Lambda: with ``use_docker: False`` moto only echoes invocations. We dispatch them, by function name, to the
   handler modules under ``functions/``; an exception becomes an ``Unhandled`` function error whose ``errorType``
   is the exception's class name — exactly what Lambda reports, so the ASL's ``Retry``/``Catch`` match as on AWS.
2. EventBridge: moto drops Step Functions targets. We start an execution with the event as input, as
   EventBridge does.
3. Retry back-off: the interpreter really sleeps; tests scale the sleep down to nothing.
4. Execution end: listeners learn of a run that ended FAILED, TIMED_OUT or ABORTED, as EventBridge's execution
   status events tell the ``execution_ended`` function on AWS.

The same :class:`LocalCloud` serves the state-machine tests (in-process ``mock_aws``) and ``photobooth serve``
(moto's threaded server).
"""

from __future__ import annotations

import functools
import gc
import importlib.util
import json
import logging
import os
import re
import secrets
import sys
import threading
import time
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


# --- moto patches -----------------------------------------------------------------------------------------


@dataclass
class _PatchState:
    installed: bool = False
    retry_sleep: Callable[[float], None] | None = None
    execution_ended: list[Callable[[dict], object]] = field(default_factory=list)


_patches = _PatchState()


def _patched_lambda_invoke(
    self: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any
):
    payload = json.loads(body or "{}") if isinstance(body, (str, bytes)) else body
    if isinstance(headers, dict) and headers.get("X-Amz-Invocation-Type") == "Event":
        _in_background(invoke_function, function_name, payload)
        return b""
    ok, result = invoke_function(function_name, payload)
    if not ok:
        response_headers["x-amz-function-error"] = "Unhandled"
    return json.dumps(result).encode()


_work_threads: list[threading.Thread] = []


def _in_background(target: Callable[..., object], *args: object) -> None:
    """Event deliveries and asynchronous invocations run on threads of their own, as on AWS; ``settle`` waits."""
    thread = threading.Thread(target=target, args=args, daemon=True)
    _work_threads.append(thread)
    thread.start()


def forget_finished_work() -> list[threading.Thread]:
    """Drop finished threads from the lists that track work (moto keeps every thread it ever started, so its list
    would grow with each photo on a long-running booth). Returns the threads still at work."""
    from moto.stepfunctions.parser.utils import TMP_THREADS

    for pool in (TMP_THREADS, _work_threads):
        for thread in [t for t in pool if not t.is_alive()]:
            pool.remove(thread)  # one by one: threads started meanwhile are appended, never lost
    return [t for pool in (TMP_THREADS, _work_threads) for t in pool if t.is_alive()]


def settle(timeout: float) -> list[str]:
    """Wait up to ``timeout`` seconds for every run, step, event delivery and asynchronous invocation to end.
    Returns the names of the threads still at work."""
    deadline = time.monotonic() + timeout
    while True:
        alive = forget_finished_work()
        if not alive or time.monotonic() >= deadline:
            return [t.name for t in alive]
        alive[0].join(timeout=max(0.0, min(0.5, deadline - time.monotonic())))


def _deliver_to_state_machine(state_machine_arn: str, event: dict) -> None:
    from datetime import UTC, datetime

    event = dict(event)
    if isinstance(event.get("time"), (int, float)):  # moto keeps epoch seconds; EventBridge sends ISO 8601
        event["time"] = datetime.fromtimestamp(event["time"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    event["id"] = str(uuid.uuid4())
    try:
        _shared_client("stepfunctions", region_name=REGION).start_execution(
            stateMachineArn=state_machine_arn, name=str(uuid.uuid4()), input=json.dumps(event)
        )
    except Exception:
        log.exception("EventBridge could not start the state machine")


ENDED_WITHOUT_RESULT = ("FAILED", "TIMED_OUT", "ABORTED")


def on_execution_ended(listener: Callable[[dict], object]) -> Callable[[], None]:
    """Call ``listener`` whenever an execution ends FAILED, TIMED_OUT or ABORTED, with the ``detail`` EventBridge's
    "Step Functions Execution Status Change" event carries on AWS (``executionArn``, ``status``, ``input``).
    It runs on the execution's thread. Returns the function that removes the listener."""
    _patches.execution_ended.append(listener)
    return lambda: _patches.execution_ended.remove(listener)


_an_execution_ended = threading.Condition()
_executions_ended = 0


def executions_ended() -> int:
    """How many executions have ended in this process: pass it to :func:`wait_for_an_execution_end`."""
    with _an_execution_ended:
        return _executions_ended


def wait_for_an_execution_end(seen: int, timeout: float) -> None:
    """Block until an execution ends after :func:`executions_ended` returned ``seen``, or ``timeout`` seconds
    pass. ``photobooth run`` waits here between looks at its record instead of polling DynamoDB: each poll took
    CPU from the photo being made. Counting ends means one that came between the look and the wait is not missed.
    """
    with _an_execution_ended:
        _an_execution_ended.wait_for(lambda: _executions_ended != seen, timeout)


def _announce_end(execution: Any) -> None:
    global _executions_ended
    try:
        _tell_listeners(execution)
    finally:
        with _an_execution_ended:
            _executions_ended += 1
            _an_execution_ended.notify_all()


def _tell_listeners(execution: Any) -> None:
    status = getattr(execution.exec_status, "value", None)
    if status not in ENDED_WITHOUT_RESULT:
        return
    detail = {
        "executionArn": execution.exec_arn,
        "stateMachineArn": execution.state_machine_arn,
        "status": status,
        "input": json.dumps(execution.input_data),
    }
    for listener in list(_patches.execution_ended):
        try:
            listener(detail)
        except Exception:
            log.exception("a listener for ended executions failed")


_clients: dict[tuple[str, ...], Any] = {}
_clients_lock = threading.Lock()


def _shared_client(service: str, **options: Any) -> Any:
    """One boto3 client per service, endpoint and options, built once. Building one costs about 10 ms of CPU and
    takes boto3's default-session lock; clients themselves are safe to share between threads (boto3 docs,
    "Multithreading or multiprocessing with clients")."""
    key = (service, os.environ.get("AWS_ENDPOINT_URL", ""), repr(sorted(options.items())))
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = boto3.client(service, **options)  # type: ignore[call-overload]
    return client


def _share_task_clients() -> None:
    """moto's interpreter builds a new boto3 client for every Lambda and DynamoDB task; reuse one per service.
    The key includes whether calls are intercepted in process and the server port, which decide the endpoint."""
    from moto.core.models import botocore_stubber
    from moto.settings import moto_server_port
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_dynamodb,
        state_task_service_events,
    )
    from moto.stepfunctions.parser.asl.utils import boto_client

    build = boto_client.boto_client_for

    def shared_boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        key = ("task", region, service, str(botocore_stubber.enabled), moto_server_port())
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = build(region, service, state_credentials)
        return client

    for module in (boto_client, lambda_eval_utils, state_task_service_dynamodb, state_task_service_events):
        module.boto_client_for = shared_boto_client_for  # type: ignore[attr-defined]


def _cache_json_paths() -> None:
    """moto parses every JSONPath again at each use (about 1 ms each, some 70 per photo); parsed paths are
    immutable, so one parse per distinct path is enough."""
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    json_path.parse = functools.lru_cache(maxsize=1024)(json_path.parse)  # type: ignore[attr-defined]
    result_path.parse = functools.lru_cache(maxsize=1024)(result_path.parse)  # type: ignore[attr-defined]


def _parse_each_definition_once() -> None:
    """moto parses the definition with ANTLR when the state machine is created and again at every execution (about
    0.13 s of CPU per photo, 0.27 s for the first). The program it builds is evaluated by many threads at once
    already (Map iterations), keeping its state in each run's environment, so one parse per definition serves every
    run; a definition that fails to parse raises every time (exceptions are not cached)."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    parse = AmazonStateLanguageParser.parse
    AmazonStateLanguageParser.parse = staticmethod(functools.lru_cache(maxsize=8)(parse))  # type: ignore[method-assign]


def _one_heap_key_per_component() -> None:
    """moto names a component's slot in a run's heap (a retrier's attempt count, its back-off) by a random key made
    on first use, without a lock. Parallel Map iterations reaching a retrier together could each make one, and the
    iteration whose key was overwritten retried once more than MaxAttempts allows. The key is now made once."""
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.utils import long_uid

    made = threading.Lock()

    def heap_key(self: Any) -> str:
        key = self.__dict__.get("_EvalComponent__heap_key")
        if key is None:
            with made:
                key = self.__dict__.get("_EvalComponent__heap_key")
                if key is None:
                    key = self.__dict__["_EvalComponent__heap_key"] = long_uid()
        return str(key)

    EvalComponent.heap_key = property(heap_key)  # type: ignore[method-assign,assignment]


# DynamoDB applies each item operation whole. moto applies an update's SET clauses one by one and then serialises
# its answer from the live item, so concurrent calls could see a status already FAILED without its finishedAt, or
# fail with "dictionary changed size during iteration". One lock around each DynamoDB call, answer included, makes
# them whole; the booth's few calls a second do not notice.
_DYNAMODB_CALL = threading.RLock()


def _whole_dynamodb_calls() -> None:
    from moto.dynamodb.responses import DynamoHandler

    call_action = DynamoHandler.call_action

    def whole(self: Any) -> Any:
        with _DYNAMODB_CALL:
            return call_action(self)

    DynamoHandler.call_action = whole  # type: ignore[method-assign]


def _stopped_already(execution: Any) -> bool:
    return getattr(execution.exec_status, "value", None) == "ABORTED"


def _abort_at_once() -> None:
    """StopExecution ends a run ABORTED at once on AWS, whatever its steps are doing ("StopExecution", Step Functions
    API reference). moto only asks the interpreter to stop after the step in flight, so a run stopped inside a hung
    step stayed RUNNING, and ended FAILED when the step finally failed. Here the run is ABORTED when stopped, and its
    end is announced then; the interpreter's thread winds down on its own."""
    from datetime import datetime

    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.backend.execution import Execution

    original_stop = Execution.stop

    def stop(self: Any, stop_date: datetime, error: str | None, cause: str | None) -> None:
        original_stop(self, stop_date=stop_date, error=error, cause=cause)
        if self.exec_status == ExecutionStatus.RUNNING:
            self.exec_status = ExecutionStatus.ABORTED
            self.stop_date = stop_date
            _announce_end(self)

    Execution.stop = stop  # type: ignore[method-assign]


def _defer_moto_batch() -> None:
    """moto's ASL interpreter imports ``moto.batch.utils`` for one enum (its Batch task integration, which the
    definition never uses). The ``moto.batch`` package's ``__init__`` imports its backend and with it all of EC2's
    models and data: 0.8 s of every start-up. The package is registered without running its ``__init__``; the one
    name the ``__init__`` exports is loaded on first use, so Batch still works if anything ever calls it."""
    if "moto.batch" in sys.modules:
        return
    import moto

    spec = importlib.util.find_spec("moto.batch")
    assert spec is not None
    package = importlib.util.module_from_spec(spec)

    def exported(name: str) -> Any:
        if name == "batch_backends":
            from moto.batch.models import batch_backends

            return batch_backends
        raise AttributeError(f"module 'moto.batch' has no attribute {name!r}")

    package.__getattr__ = exported  # type: ignore[method-assign]
    sys.modules["moto.batch"] = package
    moto.batch = package  # type: ignore[attr-defined]


def install_patches() -> None:
    """Patch moto once per process. Safe to call again."""
    if _patches.installed:
        return
    _defer_moto_batch()
    _whole_dynamodb_calls()
    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.events.models import Rule
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
    from moto.utilities.arns import parse_arn

    LambdaSimpleBackend.invoke = _patched_lambda_invoke  # type: ignore[method-assign]

    original_send = Rule.send_to_targets

    def send_to_targets(self: Any, original_event: dict, transform_input: bool = True) -> None:
        if not self.event_pattern.matches_event(original_event):
            return
        to_states = [t for t in self.targets if parse_arn(t["Arn"]).service == "states"]
        for target in to_states:
            _in_background(_deliver_to_state_machine, target["Arn"], original_event)
        others = [t for t in self.targets if t not in to_states]
        if others:
            saved, self.targets = self.targets, others
            try:
                original_send(self, original_event, transform_input)  # type: ignore[arg-type]
            finally:
                self.targets = saved

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign,assignment]

    class _RetryClock:
        @staticmethod
        def sleep(seconds: float) -> None:
            (_patches.retry_sleep or time.sleep)(seconds)

    retrier_decl.time = _RetryClock  # type: ignore[assignment]

    # 4. Execution ends: on AWS, EventBridge tells the execution_ended function about a run that died; here the
    # interpreter's own end-of-run callback tells our listeners (photobooth.local.recovery).
    original_terminated = BaseExecutionWorkerCommunication.terminated

    def terminated(self: Any) -> None:
        if _stopped_already(self.execution):
            return  # StopExecution ended it (below); the step that was in flight has only now returned
        original_terminated(self)
        _announce_end(self.execution)

    BaseExecutionWorkerCommunication.terminated = terminated  # type: ignore[method-assign]
    _abort_at_once()
    _share_task_clients()
    _cache_json_paths()
    _parse_each_definition_once()
    _one_heap_key_per_component()
    _patches.installed = True


def set_retry_sleep(sleep: Callable[[float], None] | None) -> None:
    """Tests pass ``lambda seconds: None`` so Retry back-offs do not really wait; ``None`` restores real sleeps."""
    _patches.retry_sleep = sleep


# --- resources --------------------------------------------------------------------------------------------


@dataclass
class LocalCloud:
    """Creates the service's resources in moto, as the CDK app does on AWS, and runs the committed ASL file."""

    bucket: str = "photobooth-local"
    table: str = "photobooth-status"
    state_machine_name: str = "photobooth"
    default_themes: tuple[str, ...] = ("unicorn-meadow", "floating-city", "cosmos")
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
        # invocation is dispatched in process (``_patched_lambda_invoke``) without a look at moto's functions.
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
