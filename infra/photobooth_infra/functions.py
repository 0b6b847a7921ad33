"""The six Lambda functions of docs/architecture.md and the layer they share."""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from photobooth import native_threads
from photobooth_infra import constants
from photobooth_infra.config import DeploymentConfig
from photobooth_infra.constants import FunctionSpec
from photobooth_infra.nag import acknowledge

# Lambda refuses more than 4 KB of environment variables; themes are the part that grows.
_ENVIRONMENT_LIMIT_BYTES = 4096
_CODE_EXCLUDES = ["__pycache__", "*.pyc", "tests"]


class Functions(Construct):
    """Each function has its own role (logs of its own log group only; the stack adds what it uses)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        layer_dir: Path,
        bucket_name: str,
        table_name: str,
        sam_endpoint_name: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        if not layer_dir.is_dir():
            raise FileNotFoundError(
                f"layer folder {layer_dir} is missing: run `python infra/build_layer.py` (make layer) first"
            )
        self.layer = lambda_.LayerVersion(
            self,
            "DomainLayer",
            code=lambda_.Code.from_asset(str(layer_dir)),
            compatible_runtimes=[constants.PYTHON_RUNTIME],
            compatible_architectures=[constants.ARCHITECTURE],
            description="photobooth domain package and its dependencies (boto3 comes with the runtime)",
        )
        environment = function_environment(
            config, bucket_name=bucket_name, table_name=table_name, sam_endpoint_name=sam_endpoint_name
        )
        only_for = {
            constants.PRESIGN.name: presign_environment(config),
            constants.STATUS.name: status_environment(config),
        }
        self.by_name: dict[str, lambda_.Function] = {
            spec.name: self._function(spec, config, environment | only_for.get(spec.name, {}))
            for spec in constants.ALL_FUNCTIONS
        }
        # What every caller invokes: the alias of the published, SnapStart-initialised version. The functions
        # themselves ($LATEST) keep their roles, logs and metrics; invoking $LATEST would skip the snapshot.
        self.aliases: dict[str, lambda_.Alias] = {
            name: live_alias(function) for name, function in self.by_name.items()
        }

    def __getitem__(self, spec: FunctionSpec) -> lambda_.Function:
        return self.by_name[spec.name]

    def _function(
        self, spec: FunctionSpec, config: DeploymentConfig, environment: dict[str, str]
    ) -> lambda_.Function:
        scope = Construct(self, _pascal(spec.name))
        log_group, role = log_group_and_role(scope, config, f"photobooth {spec.name} function")
        function = lambda_.Function(
            scope,
            "Function",
            description=f"photobooth: {spec.description}",
            runtime=constants.PYTHON_RUNTIME,
            architecture=constants.ARCHITECTURE,
            handler=constants.HANDLER,
            code=lambda_.Code.from_asset(str(spec.code_dir), exclude=_CODE_EXCLUDES),
            layers=[self.layer],
            memory_size=spec.memory_mb,
            timeout=spec.timeout,
            environment=environment,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            role=role,
            snap_start=snap_start(config),
            current_version_options=RETIRED_VERSIONS_DELETED,
        )
        acknowledge_runtime(function)
        acknowledge(
            role.node.find_child("DefaultPolicy"),
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords (active tracing), Rekognition DetectFaces/DetectLabels "
            "(detect_face) and DetectModerationLabels (detect_face, generate), and for generate the "
            "aws-marketplace subscription actions (scoped by aws-marketplace:ProductId when marketplace_product_ids "
            "is set) support no resource-level permissions.",
        )
        return function


# A replaced version is deleted with the deployment that replaces it: its cached snapshot is billed while it exists.
RETIRED_VERSIONS_DELETED = lambda_.VersionOptions(removal_policy=RemovalPolicy.DESTROY)


def snap_start(config: DeploymentConfig) -> lambda_.SnapStartConf | None:
    """SnapStart on published versions (the aliases callers invoke), unless the operator turned it off."""
    return lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if config.snap_start else None


def acknowledge_runtime(function: lambda_.Function) -> None:
    """cdk-nag wants the newest Python runtime; the layer's bytecode decides ours (constants.PYTHON_RUNTIME)."""
    acknowledge(
        function,
        "AwsSolutions-L1",
        f"{constants.PYTHON_RUNTIME.name}, not the newest Python runtime: `make layer` compiles the layer's bytecode "
        "with an interpreter of the runtime's minor version, and the build machines have 3.12 and 3.13 only; "
        "without bytecode every cold start compiles the layer (docs/decisions.md, issue 21).",
    )


def live_alias(function: lambda_.Function) -> lambda_.Alias:
    """The alias callers invoke: the function's current published version, which SnapStart snapshots.

    SnapStart works only on published versions and aliases that point at one, never on $LATEST
    (https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html). ``current_version`` publishes a new version
    whenever the code, the layer or the configuration changes, and the alias moves with it.
    """
    return lambda_.Alias(function, "Live", alias_name=constants.LIVE_ALIAS, version=function.current_version)


def function_environment(
    config: DeploymentConfig, *, bucket_name: str, table_name: str, sam_endpoint_name: str | None
) -> dict[str, str]:
    """The PHOTOBOOTH_* variables of docs/architecture.md that every function gets."""
    environment = {
        "PHOTOBOOTH_BACKEND": "aws",
        "PHOTOBOOTH_BUCKET_NAME": bucket_name,
        "PHOTOBOOTH_TABLE_NAME": table_name,
        "PHOTOBOOTH_THEMES": json.dumps(
            [t.model_dump(exclude_defaults=True) for t in config.themes], separators=(",", ":")
        ),
        "PHOTOBOOTH_DEFAULT_THEMES": json.dumps(list(config.default_themes), separators=(",", ":")),
        "PHOTOBOOTH_BEDROCK_MODEL_IDS": json.dumps(list(config.bedrock_model_ids), separators=(",", ":")),
        "PHOTOBOOTH_BEDROCK_REGION": config.bedrock_regions[0] if config.bedrock_regions else Aws.REGION,
        "PHOTOBOOTH_SEGMENTATION_BACKEND": config.segmentation_backend,
        "PHOTOBOOTH_RETENTION_DAYS": str(config.retention_days),
        "PHOTOBOOTH_GENERATE_MAX_CONCURRENCY": str(config.generate_max_concurrency),
        # generate books the slots at this pace; presign and status tell the visitor the wait from it
        "PHOTOBOOTH_MODEL_CALLS_PER_MINUTE": f"{config.model_calls_per_minute:g}",
        "PHOTOBOOTH_OUTPUT_LONG_SIDE": str(config.output_long_side),
        "PHOTOBOOTH_UPSCALER": config.upscaler,
        "PHOTOBOOTH_UPSCALE_MODEL_ID": config.upscale_model_id,
        "PHOTOBOOTH_MODERATION_BACKEND": config.moderation_backend,
        "PHOTOBOOTH_MODERATION_MIN_CONFIDENCE": str(config.moderation_min_confidence),
        "PHOTOBOOTH_MODERATION_CATEGORIES": json.dumps(list(config.moderation_categories), separators=(",", ":")),
        "PHOTOBOOTH_MODERATION_LET_THROUGH_LABELS": json.dumps(
            list(config.moderation_let_through_labels), separators=(",", ":")
        ),
        "PHOTOBOOTH_MODERATE_GENERATED_IMAGES": str(config.moderate_generated_images).lower(),
        "POWERTOOLS_SERVICE_NAME": constants.POWERTOOLS_SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": constants.METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": config.log_level,
        **native_threads.ENVIRONMENT,
    }
    if sam_endpoint_name is not None:
        environment["PHOTOBOOTH_SAM_ENDPOINT_NAME"] = sam_endpoint_name
    if config.expected_visitors_per_hour is not None:
        # No function acts on it: `photobooth doctor` reads it from the generate function's configuration, beside
        # the model ids, and compares it with what the Bedrock quotas sustain (photobooth.doctor.capacity).
        environment["PHOTOBOOTH_EXPECTED_VISITORS_PER_HOUR"] = str(config.expected_visitors_per_hour)
    # Tokens (bucket, table, region) resolve to short names; count the literal part with some room for them.
    size = sum(len(k) + len(v) for k, v in environment.items() if not v.startswith("${Token"))
    if size > _ENVIRONMENT_LIMIT_BYTES - 512:
        raise ValueError(
            f"the functions' environment would be {size} bytes (Lambda's limit is 4 KB): shorten the theme prompts "
            "or use fewer themes"
        )
    return environment


def presign_environment(config: DeploymentConfig) -> dict[str, str]:
    """What only POST /upload and POST /photo read: the seed's envelope and how long POST /photo waits."""
    return {
        "PHOTOBOOTH_SEED_COMPAT_ENVELOPE": str(config.seed_compat_envelope).lower(),
        "PHOTOBOOTH_PHOTO_WAIT_SECONDS": f"{config.photo_wait_seconds:g}",
    }


def status_environment(config: DeploymentConfig) -> dict[str, str]:
    """POST /kiosk/unlock checks the operator's PIN against its hash; without ``kiosk_pin`` there is no kiosk mode."""
    pin_hash = config.kiosk_pin_hash
    return {"PHOTOBOOTH_KIOSK_PIN_HASH": pin_hash} if pin_hash else {}


def log_group_and_role(
    scope: Construct, config: DeploymentConfig, description: str
) -> tuple[logs.LogGroup, iam.Role]:
    """A function's own log group (with the configured retention) and a role that may write to it and nothing else."""
    log_group = logs.LogGroup(
        scope,
        "Logs",
        retention=constants.LOG_RETENTION[config.log_retention_days],
        removal_policy=RemovalPolicy.DESTROY,
    )
    role = iam.Role(scope, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), description=description)
    log_group.grant(role, "logs:CreateLogStream", "logs:PutLogEvents")
    return log_group, role


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
