"""What the doctor needs to know about a deployed stack, read from CloudFormation and the generate function.

The stack's outputs (``infra/photobooth_infra/stack.py``) name the booth URL, the bucket, the booth key secret,
the status table and the state machine. What is not an output is found among the stack's resources: the generate
function by its CDK logical-id prefix (its environment holds the model ids, the Bedrock region and the SAM
endpoint, exactly what the functions run with) and the alarms by resource type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from photobooth.config import Settings
from photobooth.doctor.results import CheckResult, client_error_message
from photobooth.iam.calls import FUNCTIONS

DEFAULT_STACK_NAME = "Photobooth"

# CDK logical id of Functions/Generate/Function (infra/photobooth_infra/functions.py) before its hash suffix.
GENERATE_FUNCTION_LOGICAL_PREFIX = "FunctionsGenerateFunction"
_ALARM_TYPE = "AWS::CloudWatch::Alarm"
_FUNCTION_TYPE = "AWS::Lambda::Function"
_RULE_TYPE = "AWS::Events::Rule"
EXPECTED_VISITORS_VARIABLE = "PHOTOBOOTH_EXPECTED_VISITORS_PER_HOUR"
MODEL_PACE_VARIABLE = "PHOTOBOOTH_MODEL_CALLS_PER_MINUTE"
REQUIRED_OUTPUTS = ("BoothUrl", "BoothKeySecret", "BucketName", "StatusTableName", "StateMachineArn")
_HEALTHY_STACK_STATUSES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})
_DEFAULT_SEGMENTATION_BACKEND = Settings.model_fields["segmentation_backend"].default
_DEFAULT_SAM_ENDPOINT_NAME = Settings.model_fields["sam_endpoint_name"].default
_DEFAULT_UPSCALER = Settings.model_fields["upscaler"].default
_DEFAULT_UPSCALE_MODEL_ID = Settings.model_fields["upscale_model_id"].default
_DEFAULT_THEMES: tuple[str, ...] = Settings.model_fields["default_themes"].default
_DEFAULT_MODEL_CALLS_PER_MINUTE: float = Settings.model_fields["model_calls_per_minute"].default


@dataclass(frozen=True)
class GenerateFunction:
    name: str
    arn: str
    role_arn: str
    log_group: str
    model_ids: tuple[str, ...]
    bedrock_region: str
    segmentation_backend: str
    sam_endpoint_name: str
    upscaler: str = _DEFAULT_UPSCALER
    upscale_model_id: str = _DEFAULT_UPSCALE_MODEL_ID
    # The themes a visitor gets without choosing, and the crowd the operator expects (the doctor's capacity check).
    default_themes: tuple[str, ...] = _DEFAULT_THEMES
    expected_visitors_per_hour: int | None = None
    # The pace generate books the model calls at (photobooth.pacing): the booth's own limit, whatever the quota.
    model_calls_per_minute: float = _DEFAULT_MODEL_CALLS_PER_MINUTE

    @property
    def upscale_model(self) -> str | None:
        """The Bedrock model that grows each background, when ``upscaler`` is ``bedrock``."""
        return self.upscale_model_id if self.upscaler == "bedrock" else None

    @property
    def partition(self) -> str:
        return self.arn.split(":")[1]

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]


@dataclass(frozen=True)
class Deployment:
    stack_name: str
    region: str
    outputs: dict[str, str]
    alarm_names: tuple[str, ...]
    generate: GenerateFunction
    # role key of photobooth.iam.calls (``detect_face``) -> the function's name; the stack's EventBridge rules.
    function_names: dict[str, str] = field(default_factory=dict)
    rule_names: tuple[str, ...] = ()

    @property
    def booth_url(self) -> str:
        return self.outputs["BoothUrl"].rstrip("/")

    @property
    def booth_key_secret(self) -> str:
        return self.outputs["BoothKeySecret"]

    @property
    def bucket_name(self) -> str:
        return self.outputs["BucketName"]

    @property
    def status_table(self) -> str:
        return self.outputs["StatusTableName"]

    @property
    def state_machine_arn(self) -> str:
        return self.outputs["StateMachineArn"]


class DeploymentUnreadable(Exception):
    """The stack cannot be checked at all; ``result`` is the failed check that says why and what to do."""

    def __init__(self, result: CheckResult) -> None:
        super().__init__(result.detail)
        self.result = result


def read_deployment(cloudformation: Any, lambda_client: Any, *, stack_name: str, region: str) -> Deployment:
    """The stack's outputs and resources, and the generate function's configuration.

    Raises :class:`DeploymentUnreadable` when the stack is missing, unfinished or not a photobooth stack."""
    name = f"stack {stack_name}"
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        raise DeploymentUnreadable(
            CheckResult.failed(
                name,
                f"not readable in {region}: {client_error_message(error)}",
                "deploy it (`npx aws-cdk@2 deploy` in infra/), or pass --stack NAME and --region REGION of your "
                "deployment, with credentials allowed to call cloudformation:DescribeStacks",
            )
        ) from error
    stack = stacks[0]
    status = stack.get("StackStatus", "")
    if status not in _HEALTHY_STACK_STATUSES:
        raise DeploymentUnreadable(
            CheckResult.failed(
                name,
                f"status {status}: {stack.get('StackStatusReason', 'no reason given')}",
                "wait until the deployment finishes; after a rollback, read the stack's events in the "
                "CloudFormation console, fix the cause and deploy again",
            )
        )
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    missing = [key for key in REQUIRED_OUTPUTS if key not in outputs]
    if missing:
        raise DeploymentUnreadable(
            CheckResult.failed(
                name,
                f"outputs {', '.join(missing)} are missing: this is not a photobooth stack, or an older one",
                "pass --stack with the name of your photobooth stack, or deploy this version of infra/",
            )
        )

    resources = _stack_resources(cloudformation, stack_name)
    generate_name = next(
        (
            r["PhysicalResourceId"]
            for r in resources
            if r["ResourceType"] == _FUNCTION_TYPE
            and r["LogicalResourceId"].startswith(GENERATE_FUNCTION_LOGICAL_PREFIX)
        ),
        None,
    )
    if generate_name is None:
        raise DeploymentUnreadable(
            CheckResult.failed(
                name,
                f"no generate function (logical id {GENERATE_FUNCTION_LOGICAL_PREFIX}…) among the stack's resources",
                "deploy this version of infra/, which names the generate function Functions/Generate/Function",
            )
        )
    alarms = tuple(r["PhysicalResourceId"] for r in resources if r["ResourceType"] == _ALARM_TYPE)
    return Deployment(
        stack_name=stack_name,
        region=region,
        outputs=outputs,
        alarm_names=alarms,
        generate=_generate_function(lambda_client, generate_name, region),
        function_names=_function_names(resources),
        rule_names=tuple(r["PhysicalResourceId"] for r in resources if r["ResourceType"] == _RULE_TYPE),
    )


def _function_names(resources: list[dict]) -> dict[str, str]:
    """Each function's name by its CDK logical id (``Functions{DetectFace}Function…``, functions.py)."""
    found = {}
    for function in FUNCTIONS:
        prefix = f"Functions{''.join(part.title() for part in function.split('_'))}Function"
        for resource in resources:
            if resource["ResourceType"] == _FUNCTION_TYPE and resource["LogicalResourceId"].startswith(prefix):
                found[function] = resource["PhysicalResourceId"]
    return found


def _stack_resources(cloudformation: Any, stack_name: str) -> list[dict]:
    # ListStackResources pages; DescribeStackResources would stop at the first 100 resources.
    resources: list[dict] = []
    kwargs: dict[str, str] = {"StackName": stack_name}
    while True:
        page = cloudformation.list_stack_resources(**kwargs)
        resources.extend(page.get("StackResourceSummaries", []))
        if not page.get("NextToken"):
            return resources
        kwargs["NextToken"] = page["NextToken"]


def _generate_function(lambda_client: Any, name: str, region: str) -> GenerateFunction:
    configuration = lambda_client.get_function_configuration(FunctionName=name)
    environment = configuration.get("Environment", {}).get("Variables", {})
    model_ids = tuple(json.loads(environment.get("PHOTOBOOTH_BEDROCK_MODEL_IDS", "[]")))
    return GenerateFunction(
        name=name,
        arn=configuration["FunctionArn"],
        role_arn=configuration["Role"],
        log_group=configuration.get("LoggingConfig", {}).get("LogGroup") or f"/aws/lambda/{name}",
        model_ids=model_ids,
        bedrock_region=environment.get("PHOTOBOOTH_BEDROCK_REGION") or region,
        # The functions fall back to the domain's defaults (photobooth.config.Settings) where a variable is unset.
        segmentation_backend=environment.get("PHOTOBOOTH_SEGMENTATION_BACKEND") or _DEFAULT_SEGMENTATION_BACKEND,
        sam_endpoint_name=environment.get("PHOTOBOOTH_SAM_ENDPOINT_NAME") or _DEFAULT_SAM_ENDPOINT_NAME,
        upscaler=environment.get("PHOTOBOOTH_UPSCALER") or _DEFAULT_UPSCALER,
        upscale_model_id=environment.get("PHOTOBOOTH_UPSCALE_MODEL_ID") or _DEFAULT_UPSCALE_MODEL_ID,
        default_themes=tuple(json.loads(environment.get("PHOTOBOOTH_DEFAULT_THEMES") or "null") or _DEFAULT_THEMES),
        expected_visitors_per_hour=int(expected)
        if (expected := environment.get(EXPECTED_VISITORS_VARIABLE))
        else None,
        model_calls_per_minute=float(pace)
        if (pace := environment.get(MODEL_PACE_VARIABLE))
        else _DEFAULT_MODEL_CALLS_PER_MINUTE,
    )
