"""Two pinned corrections that make the Step Functions interpreter shared by LocalStack 2026.3.0 and moto 5.2.x
(moto's is a port of LocalStack's) behave as AWS documents, applied to whichever of the two is given.

1. ``States.ALL`` does not catch ``States.Runtime`` or ``States.DataLimitExceeded``. AWS, "Handling errors in Step
   Functions workflows" (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html):
   "States.ALL ... doesn't catch the States.DataLimitExceeded terminal error type and runtime error types". Both
   interpreters let a ``States.ALL`` Catch or Retry take them.
2. A mocked ``Throw`` on a DynamoDB task keeps its error name. Step Functions Local's MockConfigFile throws the
   error it names (https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html); the DynamoDB
   task's ``_from_error`` only knows botocore's ``ClientError`` and turns the mocked failure into
   ``DynamoDB.AmazonDynamoDBException`` with an empty cause, so a ``DynamoDB.ConditionalCheckFailedException``
   Catch is never taken. The fix hands the mocked failure through, as every other task type already does.

Imported by ``launch.py`` inside LocalStack's own environment (Python >= 3.13) and by the tests for moto: plain
Python, no photobooth imports.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

_TASK_PACKAGES = ("state_execution", "exec")  # LocalStack's folder name, moto's


def _module(package: str, path: str) -> Any:
    return importlib.import_module(f"{package}.asl.component.{path}")


def _dynamodb_task(package: str) -> Any:
    for folder in _TASK_PACKAGES:
        try:
            return _module(package, f"state.{folder}.state_task.service.state_task_service_dynamodb")
        except ModuleNotFoundError:
            continue
    raise ModuleNotFoundError(f"no DynamoDB task in {package}: the pinned patch no longer fits")


def apply(package: str) -> Callable[[], None]:
    """Patch the interpreter under ``package``; returns what undoes it (moto's interpreter also runs tests that
    must see it unpatched)."""
    error_equals = _module(package, "common.error_name.error_equals_decl")
    failure_event = _module(package, "common.error_name.failure_event")
    states_error = _module(package, "common.error_name.states_error_name")
    types = _module(package, "common.error_name.states_error_name_type").StatesErrorNameType
    declaration = error_equals.ErrorEqualsDecl
    uncatchable = [  # a list: the interpreter's error names compare equal but are not hashable
        states_error.StatesErrorName(typ=types.StatesRuntime),
        states_error.StatesErrorName(typ=types.StatesStatesDataLimitExceeded),
    ]
    wildcard = states_error.StatesErrorName(typ=types.StatesALL)
    original_eval_body = declaration._eval_body

    def _eval_body(self: Any, env: Any) -> None:
        error_name = env.stack[-1]
        if wildcard in self.error_names and error_name in uncatchable:
            env.stack.pop()
            env.stack.append(False)
            return
        original_eval_body(self, env)

    declaration._eval_body = _eval_body

    dynamodb = _dynamodb_task(package).StateTaskServiceDynamoDB
    original_from_error = dynamodb._from_error

    def _from_error(self: Any, env: Any, ex: Exception) -> Any:
        if isinstance(ex, failure_event.FailureEventException):
            return ex.failure_event
        return original_from_error(self, env, ex)

    dynamodb._from_error = _from_error

    def undo() -> None:
        declaration._eval_body = original_eval_body
        dynamodb._from_error = original_from_error

    return undo
