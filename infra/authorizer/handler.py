"""HTTP API Lambda authorizer (simple responses): the ``x-booth-key`` header must equal the booth key secret.

The secret is read on the first call and again after ``_CACHE_SECONDS``, so a rotated key takes effect within
minutes without a deployment. API Gateway caches each answer per key value for five minutes as well.

SnapStart (infra/photobooth_infra/api.py): boto3 is imported at init, so the snapshot holds it; the client, its
credentials and its connection are made on the first call, after restore. ``random`` (botocore's retry jitter) is
re-seeded after each restore, as AWS asks of entropy made during init
(https://docs.aws.amazon.com/lambda/latest/dg/snapstart-uniqueness.html). This function has no layer, hence its own
hook rather than photobooth.snapstart's.
"""

from __future__ import annotations

import hmac
import os
import random
import time
from typing import Any

import boto3

try:  # in Lambda's Python runtimes; absent elsewhere, where no snapshot is taken
    from snapshot_restore_py import register_after_restore
except ImportError:  # pragma: no cover - outside Lambda
    pass
else:
    register_after_restore(random.seed)

_HEADER = "x-booth-key"
_CACHE_SECONDS = 300.0

_client: Any = None
_cached: tuple[str, float] | None = None


def _secrets_client() -> Any:
    global _client
    if _client is None:
        _client = boto3.client("secretsmanager")
    return _client


def _booth_key(now: float) -> str:
    global _cached
    if _cached is None or now - _cached[1] > _CACHE_SECONDS:
        value = _secrets_client().get_secret_value(SecretId=os.environ["BOOTH_KEY_SECRET_ARN"])["SecretString"]
        _cached = (value, now)
    return _cached[0]


def is_authorized(presented: str | None, expected: str) -> bool:
    if not presented or not expected:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())


def handler(event: dict[str, Any], context: Any) -> dict[str, bool]:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    return {"isAuthorized": is_authorized(headers.get(_HEADER), _booth_key(time.monotonic()))}
