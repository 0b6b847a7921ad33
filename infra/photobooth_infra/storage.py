"""The photo bucket, the access-log bucket and the status table (with the event wall's index)."""

from __future__ import annotations

from typing import Any, cast

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from photobooth import wall
from photobooth_infra import constants
from photobooth_infra.config import DeploymentConfig
from photobooth_infra.nag import acknowledge


class Storage(Construct):
    """One bucket for photo/, work/, generated/ (CONTRACT.md) and wall/, its access logs, and the status table.

    The data bucket has a name made of pseudo parameters only, so that CloudFront can reach it by name while
    the bucket's CORS rule names the distribution's domain, without a dependency cycle.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: DeploymentConfig) -> None:
        super().__init__(scope, construct_id)

        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            # CloudFront standard logging writes with an ACL grant; S3 server access logging does not need one.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-access-logs", expiration=Duration.days(config.access_log_retention_days))
            ],
        )
        acknowledge(self.access_logs, "AwsSolutions-S1", "This is the access-log bucket; logging it to itself loops.")

        self.data_bucket_name = f"{config.name_prefix}-data-{Aws.ACCOUNT_ID}-{Aws.REGION}"
        self.data_bucket_regional_domain_name = f"{self.data_bucket_name}.s3.{Aws.REGION}.{Aws.URL_SUFFIX}"
        self.bucket = s3.Bucket(
            self,
            "Data",
            bucket_name=self.data_bucket_name,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            event_bridge_enabled=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="s3/data/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-originals",
                    prefix=constants.PHOTO_PREFIX,
                    expiration=Duration.days(config.retention_days),
                ),
                s3.LifecycleRule(
                    id="expire-work",
                    prefix=constants.WORK_PREFIX,
                    expiration=Duration.days(config.retention_days),
                ),
                s3.LifecycleRule(
                    id="expire-generated",
                    prefix=constants.GENERATED_PREFIX,
                    expiration=Duration.days(config.generated_retention_days),
                ),
                s3.LifecycleRule(  # the event wall's copies are kept as long as the results they copy
                    id="expire-wall-copies",
                    prefix=constants.WALL_PREFIX,
                    expiration=Duration.days(config.generated_retention_days),
                ),
                s3.LifecycleRule(
                    id="abort-incomplete-uploads",
                    abort_incomplete_multipart_upload_after=constants.ABORT_INCOMPLETE_UPLOAD_AFTER,
                ),
            ],
        )

        self.table = dynamodb.Table(
            self,
            "Status",
            partition_key=dynamodb.Attribute(name=constants.TABLE_PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=constants.TABLE_TTL_ATTRIBUTE,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._add_wall_index()

    def _add_wall_index(self) -> None:
        """The event wall's sparse index, as photobooth.wall defines it (the local moto table uses the same
        definition): only opted-in records carry its partition attribute. Both keys are strings (ISO timestamps
        sort as text)."""
        definition = cast("dict[str, Any]", wall.WALL_INDEX_DEFINITION)  # a boto3-shaped literal
        keys = {key["KeyType"]: key["AttributeName"] for key in definition["KeySchema"]}
        self.table.add_global_secondary_index(
            index_name=definition["IndexName"],
            partition_key=dynamodb.Attribute(name=keys["HASH"], type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=keys["RANGE"], type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType(definition["Projection"]["ProjectionType"]),
        )

    def wall_index_arn(self) -> str:
        return f"{self.table.table_arn}/index/{wall.WALL_INDEX}"

    def allow_browser_uploads(self, origins: list[str]) -> None:
        """Let the booth page PUT to presigned URLs (the URL itself is the credential)."""
        self.bucket.add_cors_rule(
            allowed_methods=[s3.HttpMethods.PUT],
            allowed_origins=origins,
            allowed_headers=["Content-Type"],
            max_age=3000,
        )

    def allow_browser_downloads(self, origins: list[str]) -> None:
        """Let the phone page fetch() a picture through its presigned URL for the Share button (web/js/phone.js):
        the page and the bucket are different origins, so the browser needs S3's CORS headers on the GET."""
        self.bucket.add_cors_rule(allowed_methods=[s3.HttpMethods.GET], allowed_origins=origins, max_age=3000)

    def object_arn(self, prefix: str) -> str:
        return self.bucket.arn_for_objects(f"{prefix}*")

    def grant_cloudfront_read(self, prefix: str, distribution_arn: str) -> None:
        """Origin access control: only this distribution may read, and only under ``prefix``."""
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudFrontReadsGenerated",
                principals=[iam.ServicePrincipal("cloudfront.amazonaws.com")],
                actions=["s3:GetObject"],
                resources=[self.object_arn(prefix)],
                conditions={"StringEquals": {"AWS:SourceArn": distribution_arn}},
            )
        )
