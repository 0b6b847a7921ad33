"""``WorkflowStarter`` on AWS Step Functions."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import boto3


class StepFunctionsStarter:
    def __init__(self, state_machine_arn: str, client: Any | None = None) -> None:
        self.state_machine_arn = state_machine_arn
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client("stepfunctions")
        return self._client

    def start(self, request_id: str, event: dict) -> None:
        # The execution is named after the request: Step Functions refuses a second one with the same name,
        # and the console search by name finds it.
        with contextlib.suppress(self.client.exceptions.ExecutionAlreadyExists):
            self.client.start_execution(
                stateMachineArn=self.state_machine_arn, name=request_id, input=json.dumps(event)
            )
