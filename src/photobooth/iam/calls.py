"""The committed record of every AWS call each role's code makes, as IAM actions on resource patterns.

``aws_calls.json`` is written by ``make aws-calls`` (tests/iam/test_aws_calls.py drives every function once with the
AWS adapters and records each botocore call; tests/support/aws_calls.py turns a call into IAM terms). This module
only reads it and fills its placeholders with one deployment's names, for the template check
(``python -m photobooth_infra.iam_check``) and for ``photobooth doctor``. It must not import botocore's or any
IAM data set: the doctor ships it.

Placeholders: ``${Partition}``, ``${Region}``, ``${Account}`` (of the stack), ``${BucketName}``, ``${TableName}``,
``${StateMachineArn}``, ``${SamEndpointName}``, ``${Function.<name>}`` (a function's name),
``${DefinitionSubstitution.<name>}`` (the value of one of the state machine's definition substitutions: the workflow
invokes exactly the ARN its definition names, the functions' ``live`` alias, not an unqualified ARN built here),
``${BoothKeySecretArn}``
(the role's PHOTOBOOTH_BOOTH_KEY_SECRET_ARN: without it the code reads no secret), and the two Bedrock models,
``${BedrockModel}`` (each of PHOTOBOOTH_BEDROCK_MODEL_IDS) and ``${UpscaleModel}``. A ``*`` in a resource or a
condition value stands for any request id or wall id; a ``dynamodb:LeadingKeys`` value without one names a fixed
item (the kiosk's attempts item).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

DATA_FILE = "aws_calls.json"
REGENERATE = "make aws-calls"

# The roles the record covers: the seven functions, the state machine's role (its service integrations) and the
# role EventBridge uses to start the workflow.
FUNCTIONS = ("presign", "status", "detect_face", "segment", "generate", "finalize", "execution_ended")
WORKFLOW = "workflow"
UPLOAD_RULE = "upload_rule"
ROLES = (*FUNCTIONS, WORKFLOW, UPLOAD_RULE)

BOOTH_KEY_SECRET = "${BoothKeySecretArn}"
SUBSTITUTION_PREFIX = "${DefinitionSubstitution."

# What a concrete stand-in for a "*" of a pattern is: a call the code makes names one request's key.
EXAMPLE_ID = "example-id"

_PROFILE_GEOGRAPHIES = frozenset({"us", "eu", "apac", "ap", "jp", "au", "ca", "us-gov", "global"})


def function_arn_substitution(function: str) -> str:
    """The definition substitution that names the ARN the workflow invokes ``function`` by: ``detect_face`` ->
    ``DetectFaceFunctionArn`` (statemachine/definition.asl.json, docs/architecture.md)."""
    return "".join(part.title() for part in function.split("_")) + "FunctionArn"


@dataclass(frozen=True)
class Permission:
    """One IAM action on one resource pattern, with the condition keys the call sets, and the settings under which
    the code makes the call at all (``when``: environment variable -> value)."""

    action: str
    resource: str
    conditions: Mapping[str, str] = field(default_factory=dict)
    when: Mapping[str, str] = field(default_factory=dict)
    calls: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"action": self.action, "resource": self.resource}
        if self.conditions:
            entry["conditions"] = dict(sorted(self.conditions.items()))
        if self.when:
            entry["when"] = dict(sorted(self.when.items()))
        entry["calls"] = sorted(self.calls)
        return entry

    @classmethod
    def from_json(cls, entry: Mapping[str, Any]) -> Permission:
        return cls(
            action=entry["action"],
            resource=entry["resource"],
            conditions=dict(entry.get("conditions", {})),
            when=dict(entry.get("when", {})),
            calls=tuple(entry.get("calls", ())),
        )

    def key(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        return self.action, self.resource, tuple(sorted(self.conditions.items()))


@cache
def recorded() -> dict[str, tuple[Permission, ...]]:
    """role -> its recorded permissions, from the package's ``aws_calls.json``."""
    text = resources.files("photobooth.iam").joinpath(DATA_FILE).read_text(encoding="utf-8")
    return parse(json.loads(text))


def parse(data: Mapping[str, Any]) -> dict[str, tuple[Permission, ...]]:
    return {role: tuple(Permission.from_json(e) for e in entries) for role, entries in data["roles"].items()}


def dump(roles: Mapping[str, Sequence[Permission]]) -> str:
    data = {
        "about": (
            "Every AWS call each role's code makes, as IAM actions and resource patterns "
            f"(src/photobooth/iam/calls.py). Written by `{REGENERATE}`; do not edit by hand."
        ),
        "roles": {role: [p.as_json() for p in sorted(roles[role], key=Permission.key)] for role in sorted(roles)},
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class Deployment:
    """One deployment's names, to fill the placeholders. ``environment``: each function's PHOTOBOOTH_* variables
    (the configuration decides which calls happen and which models are called)."""

    partition: str
    region: str
    account: str
    bucket_name: str
    table_name: str
    state_machine_arn: str
    function_names: Mapping[str, str]
    environment: Mapping[str, Mapping[str, str]]
    # The state machine's definition substitutions as deployed (name -> value): what its Task states invoke.
    definition_substitutions: Mapping[str, str] = field(default_factory=dict)


class UnknownSubstitution(ValueError):
    """A recorded call names a definition substitution the deployment does not have."""


@dataclass(frozen=True)
class Required:
    """One concrete request to authorise: action, resource ARN and the condition keys' values."""

    role: str
    action: str
    resource: str
    context: Mapping[str, str]
    permission: Permission

    def describe(self) -> str:
        conditions = "".join(f" with {k}={v}" for k, v in sorted(self.context.items()))
        return f"{self.role}: {self.action} on {self.resource}{conditions} (for {', '.join(self.permission.calls)})"


def applies(permission: Permission, environment: Mapping[str, str]) -> bool:
    return all(environment.get(k, "").lower() == v.lower() for k, v in permission.when.items())


def split_profile_id(model_id: str) -> tuple[str | None, str]:
    """``("us", "stability.x-v1:0")`` for a cross-region inference profile id, ``(None, model_id)`` otherwise."""
    geography, _, rest = model_id.partition(".")
    if rest and geography in _PROFILE_GEOGRAPHIES:
        return geography, rest
    return None, model_id


def bedrock_resources(
    model_id: str, *, region: str, partition: str, account: str, destinations: Callable[[str], Sequence[str]]
) -> list[str]:
    """``bedrock:InvokeModel`` of ``model_id`` in ``region``: a foundation model's ARN there, or an inference
    profile's ARN there plus its foundation model's ARN in every region the profile routes to (Amazon Bedrock user
    guide, "Prerequisites for inference profiles",
    https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html)."""
    geography, foundation = split_profile_id(model_id)
    if geography is None:
        return [f"arn:{partition}:bedrock:{region}::foundation-model/{model_id}"]
    return [f"arn:{partition}:bedrock:{region}:{account}:inference-profile/{model_id}"] + [
        f"arn:{partition}:bedrock:{r}::foundation-model/{foundation}" for r in destinations(model_id)
    ]


def _models(environment: Mapping[str, str], placeholder: str) -> list[str]:
    if placeholder == "${BedrockModel}":
        return list(json.loads(environment.get("PHOTOBOOTH_BEDROCK_MODEL_IDS", "[]")))
    return [environment["PHOTOBOOTH_UPSCALE_MODEL_ID"]] if environment.get("PHOTOBOOTH_UPSCALE_MODEL_ID") else []


def concrete(text: str, deployment: Deployment) -> str:
    values = {
        "${Partition}": deployment.partition,
        "${Region}": deployment.region,
        "${Account}": deployment.account,
        "${BucketName}": deployment.bucket_name,
        "${TableName}": deployment.table_name,
        "${StateMachineArn}": deployment.state_machine_arn,
        **{f"${{Function.{name}}}": physical for name, physical in deployment.function_names.items()},
        **{f"{SUBSTITUTION_PREFIX}{name}}}": value for name, value in deployment.definition_substitutions.items()},
    }
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    if SUBSTITUTION_PREFIX in text:
        name = text.split(SUBSTITUTION_PREFIX, 1)[1].split("}", 1)[0]
        raise UnknownSubstitution(f"the state machine's definition has no substitution {name}")
    return text.replace("*", EXAMPLE_ID)


def required(
    roles: Mapping[str, Sequence[Permission]],
    deployment: Deployment,
    *,
    destinations: Callable[[str], Sequence[str]],
) -> Iterator[Required]:
    """Every concrete request each role must be allowed, for this deployment's configuration."""
    for role, permissions in roles.items():
        environment = deployment.environment.get(role, {})
        for permission in permissions:
            if not applies(permission, environment):
                continue
            context = {k: concrete(v, deployment) for k, v in permission.conditions.items()}
            if permission.resource in ("${BedrockModel}", "${UpscaleModel}"):
                region = environment.get("PHOTOBOOTH_BEDROCK_REGION") or deployment.region
                for model in _models(environment, permission.resource):
                    for arn in bedrock_resources(
                        model,
                        region=region,
                        partition=deployment.partition,
                        account=deployment.account,
                        destinations=destinations,
                    ):
                        yield Required(role, permission.action, arn, context, permission)
                continue
            resource = permission.resource
            if resource == BOOTH_KEY_SECRET:
                # The secret's ARN is the function's setting; a function without one refuses every key unread.
                resource = environment.get("PHOTOBOOTH_BOOTH_KEY_SECRET_ARN", "")
                if not resource:
                    continue
                yield Required(role, permission.action, resource, context, permission)
                continue
            if "${SamEndpointName}" in resource:
                # Endpoint ARNs are lower case whatever the endpoint name's case (the ARN SageMaker returns).
                name = environment.get("PHOTOBOOTH_SAM_ENDPOINT_NAME", "").lower()
                resource = resource.replace("${SamEndpointName}", name)
            yield Required(role, permission.action, concrete(resource, deployment), context, permission)
