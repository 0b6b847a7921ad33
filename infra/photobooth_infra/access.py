"""What each function may do: the only place that grants the functions anything (least privilege).

Every statement names its actions; resources are the bucket prefixes, the table, the state machine, the SAM
endpoint and the configured Bedrock models. Nothing here lets the workflow write under photo/: only presign's
presigned PUT does (CONTRACT.md: a write there would start the workflow again).
"""

from __future__ import annotations

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import IConstruct

from photobooth.kiosk import ATTEMPTS_KEY
from photobooth.pacing import PACE_KEY
from photobooth_infra import constants
from photobooth_infra.bedrock_access import bedrock_model_arns, marketplace_statements
from photobooth_infra.config import DeploymentConfig
from photobooth_infra.nag import acknowledge
from photobooth_infra.storage import Storage

PHOTO, WORK, GENERATED = constants.PHOTO_PREFIX, constants.WORK_PREFIX, constants.GENERATED_PREFIX
WALL = constants.WALL_PREFIX


def bedrock_source_regions(config: DeploymentConfig) -> list[str]:
    """The regions the generate function calls Bedrock in (PHOTOBOOTH_BEDROCK_REGION is the first)."""
    return list(config.bedrock_regions) or [Aws.REGION]


def invoke_models_statement(config: DeploymentConfig) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="InvokeImageModels",
        actions=["bedrock:InvokeModel"],
        resources=bedrock_model_arns(
            config.invoked_model_ids,
            source_regions=bedrock_source_regions(config),
            profile_overrides=config.inference_profile_regions,
        ),
    )


def sagemaker_endpoint_arn(endpoint_name: str) -> str:
    # Endpoint ARNs are lower case whatever the endpoint name's case.
    return f"arn:{Aws.PARTITION}:sagemaker:{Aws.REGION}:{Aws.ACCOUNT_ID}:endpoint/{endpoint_name.lower()}"


def _moderation(config: DeploymentConfig, *, photo: bool) -> list[str]:
    """Rekognition's content check (no resource-level permissions), for the photo or the generated images."""
    wanted = config.moderation_backend == "rekognition" and (photo or config.moderate_generated_images)
    return ["rekognition:DetectModerationLabels"] if wanted else []


def _objects(storage: Storage, actions: list[str], *prefixes: str, sid: str) -> iam.PolicyStatement:
    return iam.PolicyStatement(sid=sid, actions=actions, resources=[storage.object_arn(p) for p in prefixes])


def _list(storage: Storage, *prefixes: str, sid: str) -> iam.PolicyStatement:
    """ListBucket limited to prefixes. It also makes HeadObject/GetObject of a missing key answer 404 instead of
    403; for that decision S3 evaluates the condition with the requested key as s3:prefix (as Ceph's RGW documents
    when matching AWS: ceph/ceph#68577), so a ``photo/*`` condition covers every upload."""
    return iam.PolicyStatement(
        sid=sid,
        actions=["s3:ListBucket"],
        resources=[storage.bucket.bucket_arn],
        conditions={"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}},
    )


def _usage_statement(table_arn: str) -> iam.PolicyStatement:
    """detect_face and segment note what they used on the status record for the cost estimate (StatusStore.update,
    an UpdateItem); without it every photo ends FAILED on AWS."""
    return iam.PolicyStatement(sid="StatusUsage", actions=["dynamodb:UpdateItem"], resources=[table_arn])


def grant_function_permissions(
    config: DeploymentConfig,
    *,
    functions: dict[str, lambda_.Function],
    storage: Storage,
    state_machine_arn: str,
    sam_endpoint_name: str | None,
) -> None:
    table_arn = storage.table.table_arn
    statements: dict[str, list[iam.PolicyStatement]] = {
        constants.PRESIGN.name: [
            # Presigned PUT of the upload; GetObject covers HeadObject for POST /photo's existence check (a
            # missing key and a denied one both answer 400 there, so no ListBucket).
            _objects(storage, ["s3:PutObject"], PHOTO, sid="PresignUpload"),
            # POST /photo answers presigned GET links of the original and the results (the seed pads' `url`); a
            # presigned URL acts with its signer's permissions when the pad fetches it.
            _objects(storage, ["s3:GetObject"], PHOTO, GENERATED, sid="CheckOriginalAndPresignResults"),
            iam.PolicyStatement(
                sid="StatusRecord",
                resources=[table_arn],
                actions=["dynamodb:PutItem", "dynamodb:GetItem"],
            ),
            iam.PolicyStatement(
                sid="StartWorkflow", actions=["states:StartExecution"], resources=[state_machine_arn]
            ),
            # POST /upload counts the visitor's photo in the image models' queue (photobooth.pacing), in the one
            # item whose key no request can have.
            iam.PolicyStatement(
                sid="AnnounceUpload",
                resources=[table_arn],
                actions=["dynamodb:UpdateItem"],
                conditions={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [PACE_KEY]}},
            ),
        ],
        constants.STATUS.name: [
            # A presigned GET acts with these permissions: results for the booth pad, wall copies for the wall.
            _objects(storage, ["s3:GetObject"], PHOTO, GENERATED, WALL, sid="PresignDownloads"),
            # Erasure also deletes the request's wall copies, under the wallId its record names.
            _list(storage, PHOTO, WORK, GENERATED, WALL, sid="ListRequestObjects"),
            _objects(storage, ["s3:DeleteObject"], PHOTO, WORK, GENERATED, WALL, sid="EraseRequestObjects"),
            # DELETE /photo reads the record, then replaces it with a tombstone (a PutItem: StatusStore.erase).
            iam.PolicyStatement(
                sid="StatusRecord", resources=[table_arn], actions=["dynamodb:GetItem", "dynamodb:PutItem"]
            ),
            # GET /wall/photos: the sparse index names the opted-in requests, a consistent BatchGetItem reads
            # their records (StatusStore.list_wall in src/photobooth/aws/dynamodb.py). No Scan, no other index.
            iam.PolicyStatement(sid="WallIndex", resources=[storage.wall_index_arn()], actions=["dynamodb:Query"]),
            iam.PolicyStatement(sid="WallRecords", resources=[table_arn], actions=["dynamodb:BatchGetItem"]),
            # POST /kiosk/unlock: the count of wrong PINs, in one item whose key no request can have.
            iam.PolicyStatement(
                sid="KioskPinAttempts",
                resources=[table_arn],
                actions=["dynamodb:GetItem", "dynamodb:UpdateItem"],
                conditions={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [ATTEMPTS_KEY]}},
            ),
        ],
        constants.DETECT_FACE.name: [
            _objects(storage, ["s3:GetObject"], PHOTO, sid="ReadOriginal"),
            # Without it a photo erased before detection answers 403, and PhotoMissing never happens on AWS.
            _list(storage, PHOTO, sid="TellMissingOriginals"),
            _objects(storage, ["s3:PutObject"], WORK, sid="WriteWorkingImage"),
            _usage_statement(table_arn),
            iam.PolicyStatement(
                sid="DetectFacesAndEyewear",
                resources=["*"],
                actions=["rekognition:DetectFaces", "rekognition:DetectLabels", *_moderation(config, photo=True)],
            ),
        ],
        constants.SEGMENT.name: [
            _objects(storage, ["s3:GetObject", "s3:PutObject"], WORK, sid="ReadImageWriteMask"),
            _usage_statement(table_arn),
        ],
        constants.GENERATE.name: [
            # The people of a print-size result are pasted from the original upload (docs/architecture.md).
            _objects(storage, ["s3:GetObject"], WORK, PHOTO, sid="ReadImageMaskAndOriginal"),
            _objects(storage, ["s3:PutObject"], GENERATED, sid="WriteResult"),
            # A result finished after its visitor erased the request is deleted at once (DeleteObjects reports a
            # denial per key without raising, so a missing grant would keep the picture for the retention period).
            _objects(storage, ["s3:DeleteObject"], GENERATED, sid="RemoveResultOfErasedRequest"),
            invoke_models_statement(config),
            *marketplace_statements(config.invoked_model_ids, config.marketplace_product_ids),
            iam.PolicyStatement(sid="ProgressiveStatus", actions=["dynamodb:UpdateItem"], resources=[table_arn]),
            # "Book the model calls" reads the models' queue (one item whose key no request can have) and writes it
            # back with the UpdateItem above (photobooth.pacing).
            iam.PolicyStatement(
                sid="ModelPace",
                resources=[table_arn],
                actions=["dynamodb:GetItem"],
                conditions={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [PACE_KEY]}},
            ),
        ],
        constants.FINALIZE.name: [
            iam.PolicyStatement(
                sid="TerminalStatus",
                resources=[table_arn],
                # PutItem: a late upload's clean-up writes the tombstone again (lifecycle.erase_request).
                actions=["dynamodb:UpdateItem", "dynamodb:GetItem", "dynamodb:PutItem"],
            ),
            # The event wall's screen-size copies of an opted-in request's results (pipeline._copy_to_wall).
            _objects(storage, ["s3:GetObject"], GENERATED, sid="ReadResultsForTheWall"),
            _objects(storage, ["s3:PutObject"], WALL, sid="WriteWallCopies"),
            # A visitor may erase a request while it runs: the last step removes what was written after that,
            # its wall copies included.
            _list(storage, PHOTO, WORK, GENERATED, WALL, sid="ListLeftovers"),
            _objects(storage, ["s3:DeleteObject"], PHOTO, WORK, GENERATED, WALL, sid="EraseLeftovers"),
        ],
        constants.EXECUTION_ENDED.name: [
            iam.PolicyStatement(
                sid="FailUnfinishedRequest",
                resources=[table_arn],
                actions=["dynamodb:GetItem", "dynamodb:UpdateItem"],
            ),
        ],
    }
    if _moderation(config, photo=False):
        statements[constants.GENERATE.name].append(
            iam.PolicyStatement(sid="CheckGeneratedImages", resources=["*"], actions=_moderation(config, photo=False))
        )
    if sam_endpoint_name is not None:
        statements[constants.SEGMENT.name].append(
            iam.PolicyStatement(
                sid="InvokeSamEndpoint",
                actions=["sagemaker:InvokeEndpoint"],
                resources=[sagemaker_endpoint_arn(sam_endpoint_name)],
            )
        )

    for name, function_statements in statements.items():
        function = functions[name]
        for statement in function_statements:
            function.add_to_role_policy(statement)
        role = function.role
        assert role is not None
        _acknowledge_prefix_wildcards(role.node.find_child("DefaultPolicy"), storage.bucket, function_statements)


def _acknowledge_prefix_wildcards(
    policy: IConstruct, bucket: s3.Bucket, statements: list[iam.PolicyStatement]
) -> None:
    """IAM5 flags ``bucket/prefix/*``: keys are per request, so a prefix is the narrowest stable scope."""
    stack = Stack.of(bucket)
    bucket_id = stack.resolve(bucket.node.default_child.logical_id)  # type: ignore[union-attr]
    suffixes = sorted(
        {
            part
            for statement in statements
            for resource in map(stack.resolve, statement.resources)
            if isinstance(resource, dict) and "Fn::Join" in resource
            for part in resource["Fn::Join"][1]
            if isinstance(part, str) and part.endswith("/*")
        }
    )
    for suffix in suffixes:
        keyed_by = "wallId" if suffix == f"/{WALL}*" else "requestId"
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>{suffix}]",
            f"Objects are keyed {suffix[1:-1]}{{{keyed_by}}}/...: the prefix is the narrowest fixed scope.",
        )


def grant_booth_key_check(status_function: lambda_.Function, booth_key: secretsmanager.ISecret) -> None:
    """The visitors' routes have no authorizer (a phone holds only its random request id), so the status function
    checks the booth key itself where an answer needs it: reading or erasing through a pad's own, guessable id, and
    the execution's ARN (src/photobooth/api.py ``Caller``)."""
    status_function.add_environment("PHOTOBOOTH_BOOTH_KEY_SECRET_ARN", booth_key.secret_arn)
    status_function.add_to_role_policy(
        iam.PolicyStatement(
            sid="CheckBoothKey", actions=["secretsmanager:GetSecretValue"], resources=[booth_key.secret_arn]
        )
    )
