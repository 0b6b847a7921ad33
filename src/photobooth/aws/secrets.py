"""``BoothKey`` against the booth key secret in AWS Secrets Manager, as infra/authorizer checks it."""

from __future__ import annotations

import hmac
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider

# As the authorizer: a rotated key takes effect within minutes, and a warm function reads the secret once per
# five minutes, not once per call.
CACHE_SECONDS = 300


class SecretsManagerBoothKey:
    def __init__(self, secret_id: str, client: Any) -> None:
        self.secret_id = secret_id
        self._provider = SecretsProvider(boto3_client=client)

    def accepts(self, presented: str | None) -> bool:
        if not presented:
            return False  # no call at all for a visitor's phone, which sends no key
        expected = self._provider.get(self.secret_id, max_age=CACHE_SECONDS)
        if not isinstance(expected, str) or not expected:
            return False
        return hmac.compare_digest(presented.encode(), expected.encode())


class RefuseEveryKey:
    """An AWS function whose deployment names no booth key secret answers nothing that needs the key."""

    def accepts(self, presented: str | None) -> bool:
        return False
