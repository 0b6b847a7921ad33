"""How moto becomes the booth's embedded AWS: the patches :func:`install_patches` applies once per process, pinned
to the moto version in pyproject.toml (docs/decisions.md says why each exists).

Behaviour (FACTS.md):

1. Lambda: with ``use_docker: False`` moto only echoes invocations. The interpreter's Lambda tasks get a client
   that dispatches them, by function name, to the handler modules under ``functions/`` (:class:`_InProcessLambda`,
   :func:`photobooth.local.handlers.invoke_function`); an exception becomes an ``Unhandled`` function error whose
   ``errorType`` is the exception's class name, as Lambda reports it, so the ASL's ``Retry``/``Catch`` match as on
   AWS.
2. EventBridge: moto drops Step Functions targets. An execution is started with the event as input, as
   EventBridge does.
3. Retry back-off: the interpreter really sleeps; tests scale the sleep down to nothing (:func:`set_retry_sleep`).
4. Execution end: every end is counted and announced (:mod:`photobooth.local.runs`), and a stopped run is
   ABORTED at once, as on AWS.

5. Wait states: a ``TimestampPath`` is compared with the UTC clock and never ends early (the model calls' slots).

Correctness under concurrency: one heap key per component (retriers), whole DynamoDB calls.

Speed: one boto3 client per service for the interpreter's tasks, JSONPaths and the definition parsed once,
``moto.batch`` (and all of EC2's models) not imported for an enum.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3

from photobooth.local.handlers import REGION, invoke_function
from photobooth.local.runs import announce_end, in_background

log = logging.getLogger("photobooth.local")


@dataclass
class _PatchState:
    installed: bool = False
    retry_sleep: Callable[[float], None] | None = None


_patches = _PatchState()


class _InProcessLambda:
    """What the interpreter's Lambda tasks get for a Lambda client: the same ``invoke`` call, answered by the handler
    in this process (:func:`~photobooth.local.handlers.invoke_function`). With ``use_docker: False`` moto's own Lambda
    only echoes a payload; going through it also cost a botocore round trip per step and, on ``photobooth serve``,
    an HTTP request to moto's server held open for the whole step. A failure is answered as Lambda answers it
    (``FunctionError: Unhandled``, the payload ``{errorType, errorMessage, stackTrace}``), so the ASL's
    ``Retry``/``Catch`` match on ``errorType`` as on AWS."""

    def invoke(self, *, FunctionName: str, Payload: bytes | str | None = None, **parameters: Any) -> dict:
        payload = json.loads(Payload or "{}")
        if parameters.get("InvocationType") == "Event":  # asynchronous: on a thread of its own, as on AWS
            in_background(invoke_function, FunctionName, payload)
            return {"StatusCode": 202, "Payload": io.BytesIO(b"")}
        ok, result = invoke_function(FunctionName, payload)
        answer: dict[str, Any] = {
            "StatusCode": 200,
            "ExecutedVersion": "$LATEST",
            "Payload": io.BytesIO(json.dumps(result).encode()),
        }
        if not ok:
            answer["FunctionError"] = "Unhandled"
        return answer


_IN_PROCESS_LAMBDA = _InProcessLambda()


def _deliver_to_state_machine(state_machine_arn: str, event: dict) -> None:
    from datetime import UTC, datetime

    event = dict(event)
    if isinstance(event.get("time"), (int, float)):  # moto keeps epoch seconds; EventBridge sends ISO 8601
        event["time"] = datetime.fromtimestamp(event["time"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    event["id"] = str(uuid.uuid4())
    try:
        shared_client("stepfunctions", region_name=REGION).start_execution(
            stateMachineArn=state_machine_arn, name=str(uuid.uuid4()), input=json.dumps(event)
        )
    except Exception:
        log.exception("EventBridge could not start the state machine")


_clients: dict[tuple[str, ...], Any] = {}
_clients_lock = threading.Lock()


def shared_client(service: str, **options: Any) -> Any:
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
    """moto's interpreter builds a new boto3 client for every Lambda and DynamoDB task; reuse one per service
    (for Lambda, the in-process one). The key includes whether calls are intercepted in process and the server port,
    which decide the endpoint."""
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
        if service == "lambda":
            return _IN_PROCESS_LAMBDA
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
            announce_end(self)

    Execution.stop = stop  # type: ignore[method-assign]


def _wait_in_utc() -> None:
    """A Wait state's ``Timestamp``/``TimestampPath`` is UTC ("Z"); moto subtracts the local clock
    (``datetime.now()``, naive), so on a laptop east of Greenwich a model call's slot (photobooth.pacing) came hours
    early and west of it hours late, and it truncated the rest to whole seconds, waking up to a second early. Here:
    the UTC clock, rounded up, so a Wait never ends before its timestamp."""
    import math
    from datetime import UTC, datetime

    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import Timestamp

    def wait_seconds(self: Any, env: Any) -> int:
        self.string.eval(env=env)
        timestamp_str: str = env.stack.pop()
        timestamp = self._from_timestamp_string(timestamp=timestamp_str)
        if timestamp is None:
            from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
                FailureEventException,
            )

            raise FailureEventException(self._create_failure_event(env, timestamp_str))
        return math.ceil((timestamp.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds())

    Timestamp._get_wait_seconds = wait_seconds  # type: ignore[method-assign]


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
    from moto.events.models import Rule
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
    from moto.utilities.arns import parse_arn

    original_send = Rule.send_to_targets

    def send_to_targets(self: Any, original_event: dict, transform_input: bool = True) -> None:
        if not self.event_pattern.matches_event(original_event):
            return
        to_states = [t for t in self.targets if parse_arn(t["Arn"]).service == "states"]
        for target in to_states:
            in_background(_deliver_to_state_machine, target["Arn"], original_event)
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
        announce_end(self.execution)

    BaseExecutionWorkerCommunication.terminated = terminated  # type: ignore[method-assign]
    _abort_at_once()
    _wait_in_utc()
    _share_task_clients()
    _cache_json_paths()
    _parse_each_definition_once()
    _one_heap_key_per_component()
    _patches.installed = True


def set_retry_sleep(sleep: Callable[[float], None] | None) -> None:
    """Tests pass ``lambda seconds: None`` so Retry back-offs do not really wait; ``None`` restores real sleeps."""
    _patches.retry_sleep = sleep
