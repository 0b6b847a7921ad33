"""The embedded AWS: moto's S3, DynamoDB, EventBridge, Lambda and its ASL interpreter running the committed
``statemachine/definition.asl.json`` with the real handlers in this process.

This module names the resources (:class:`LocalCloud`); the handlers are loaded and run by
:mod:`photobooth.local.handlers` (its names are re-exported here for the modules that start a booth); what moto
needs to behave as AWS does is in :mod:`photobooth.local.moto_patches`, applied when the resources are made; the
threads and run ends the engine tracks are in :mod:`photobooth.local.runs`.

The same :class:`LocalCloud` serves the state-machine tests (in-process ``mock_aws``) and ``photobooth serve``
(moto's threaded server).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from photobooth import wall
from photobooth.local.handlers import (
    ACCOUNT_ID,
    FUNCTIONS,
    REGION,
    invoke_function,
    lambda_context,
    load_handler,
    project_root,
    warm_up_in_background,
)
from photobooth.local.moto_patches import install_patches

__all__ = [
    "ACCOUNT_ID",
    "FUNCTIONS",
    "MOTO_CONFIG",
    "REGION",
    "LocalCloud",
    "definition_path",
    "invoke_function",
    "lambda_context",
    "load_handler",
    "offline_environment",
    "project_root",
    "render_definition",
    "warm_up_in_background",
]

log = logging.getLogger("photobooth.local")

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


SUBSTITUTION_FOR_FUNCTION = {
    "DetectFaceFunctionArn": "photobooth-detect-face",
    "SegmentFunctionArn": "photobooth-segment",
    "GenerateFunctionArn": "photobooth-generate",
    "FinalizeFunctionArn": "photobooth-finalize",
}


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
