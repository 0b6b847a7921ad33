"""HTTP API Lambda authorizer (simple responses): the ``x-booth-key`` header must equal the booth key secret.

The secret is read on the first call and again after ``_CACHE_SECONDS``, so a rotated key takes effect within
minutes without a deployment. API Gateway caches each answer per key value for five minutes as well.
"""

from __future__ import annotations

import hmac
import os
import time
from typing import Any

_HEADER = "x-booth-key"
_CACHE_SECONDS = 300.0

_client: Any = None
_cached: tuple[str, float] | None = None


def _secrets_client() -> Any:
    global _client
    if _client is None:
        import boto3

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
