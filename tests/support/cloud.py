"""The embedded AWS (moto + the committed ASL + the real handlers) for integration and state-machine tests."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import boto3
import pytest
from moto import mock_aws

from photobooth import wiring
from photobooth.local import apigw
from photobooth.local.engine import MOTO_CONFIG, LocalCloud, lambda_context, load_handler
from photobooth.local.moto_patches import set_retry_sleep
from photobooth.local.runs import settle

TERMINAL = {"SUCCEEDED", "PARTIAL", "FAILED"}


@dataclass
class Cloud:
    local: LocalCloud
    sleeps: list[float] = field(default_factory=list)

    @property
    def bucket(self) -> str:
        return self.local.bucket

    def s3(self):
        return boto3.client("s3", region_name="us-east-1")

    def sfn(self):
        return boto3.client("stepfunctions", region_name="us-east-1")

    def call_api(self, method: str, path: str, body: object | None = None) -> tuple[int, dict | None]:
        function = apigw.function_for(method, path)
        assert function, f"no route for {method} {path}"
        raw = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
        response = load_handler(function)(
            apigw.http_event(method, path, body=raw), lambda_context(f"photobooth-{function}")
        )
        payload = json.loads(response["body"]) if response.get("body") else None
        return response["statusCode"], payload

    def upload(self, data: bytes, *, filename: str = "visitor.jpg", content_type: str = "image/jpeg", **extra) -> str:
        """POST /upload, then put the bytes where the presigned URL points (S3 emits the upload event)."""
        status, answer = self.call_api(
            "POST", "/upload", {"type": "photo", "filename": filename, "contentType": content_type, **extra}
        )
        assert status == 200, answer
        self.s3().put_object(Bucket=self.bucket, Key=answer["Key"], Body=data, ContentType=content_type)
        return answer["requestId"]

    def wait_for_terminal(self, request_id: str, timeout: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            status, last = self.call_api("GET", f"/photo/{request_id}")
            if status == 200 and last and last["status"] in TERMINAL:
                return last
            time.sleep(0.1)
        raise AssertionError(f"request {request_id} not finished within {timeout}s; last status: {last}")

    def executions(self) -> list[dict]:
        sfn = self.sfn()
        listed = sfn.list_executions(stateMachineArn=self.local.state_machine_arn)["executions"]
        return [sfn.describe_execution(executionArn=e["executionArn"]) for e in listed]

    def wait_for_executions(self, count: int, timeout: float = 60.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = [e for e in self.executions() if e["status"] != "RUNNING"]
            if len(done) >= count:
                return done
            time.sleep(0.1)
        raise AssertionError(f"fewer than {count} executions finished within {timeout}s: {self.executions()}")

    def visited_states(self, execution_arn: str) -> list[str]:
        events = self.sfn().get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
        return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]

    def keys(self, prefix: str) -> list[str]:
        listed = self.s3().list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for item in listed.get("Contents", []))


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    monkeypatch.setenv("PHOTOBOOTH_BACKEND", "offline")
    with mock_aws(config=MOTO_CONFIG):
        local = LocalCloud()
        local.provision()
        for key, value in local.environment().items():
            monkeypatch.setenv(key, value)
        wiring.reset()
        handle = Cloud(local)
        set_retry_sleep(handle.sleeps.append)  # back-offs are recorded, not slept
        try:
            yield handle
        finally:
            # A run still going would carry on inside the next test's moto with that test's fakes, and could fail
            # that test's request (the likeliest cause of a CI failure no single test reproduced). Every test ends
            # with its work ended.
            still_at_work = settle(timeout=30)
            set_retry_sleep(None)
            assert not still_at_work, f"work still running 30 s after the test: {still_at_work}"
