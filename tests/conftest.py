"""Shared fixtures. Every test runs with fake AWS credentials and without network access to AWS."""

from __future__ import annotations

import os

import pytest

_FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


@pytest.fixture(autouse=True)
def _fake_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in _FAKE_AWS.items():
        monkeypatch.setenv(key, value)
    for key in list(os.environ):
        if key.startswith("PHOTOBOOTH_") or key == "AWS_ENDPOINT_URL":
            monkeypatch.delenv(key, raising=False)
    import boto3

    from photobooth import wiring

    # boto3's default session keeps the credentials it resolved first: a test that set other keys would otherwise
    # sign every later test's requests (and presigned URLs) with them.
    boto3.DEFAULT_SESSION = None
    wiring.reset()
    yield
    wiring.reset()
    boto3.DEFAULT_SESSION = None
