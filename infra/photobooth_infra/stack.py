"""The photobooth stack: composes one construct per concern."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnOutput, Stack, Token
from constructs import Construct

from photobooth_infra import constants
from photobooth_infra.access import grant_booth_key_check, grant_function_permissions
from photobooth_infra.api import Api
from photobooth_infra.config import DeploymentConfig
from photobooth_infra.dashboard import VisitorDashboard
from photobooth_infra.delivery import Delivery
from photobooth_infra.functions import Functions
from photobooth_infra.nag import acknowledge
from photobooth_infra.observability import Observability
from photobooth_infra.sam_endpoint import SamEndpoint
from photobooth_infra.storage import Storage
from photobooth_infra.workflow import Workflow


class PhotoboothStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        layer_dir: Path = constants.DEFAULT_LAYER_DIR,
        asl_path: Path = constants.ASL_PATH,
        web_dir: Path = constants.WEB_DIR,
        **kwargs,
    ) -> None:
        super().__init__(
            scope, construct_id, description="photobooth: event photos become themed AI images", **kwargs
        )
        self.config = config
        self.storage = Storage(self, "Storage", config=config)

        self.sam_endpoint: SamEndpoint | None = None
        sam_endpoint_name: str | None = None
        if config.uses_sam:
            if config.sam.deploy:
                self.sam_endpoint = SamEndpoint(self, "SamEndpoint", sam=config.sam)
            sam_endpoint_name = config.sam.endpoint_name

        self.functions = Functions(
            self,
            "Functions",
            config=config,
            layer_dir=layer_dir,
            bucket_name=self.storage.bucket.bucket_name,
            table_name=self.storage.table.table_name,
            sam_endpoint_name=sam_endpoint_name,
        )
        functions = self.functions.by_name
        if self.sam_endpoint is not None:
            functions[constants.SEGMENT.name].node.add_dependency(self.sam_endpoint.endpoint)

        self.workflow = Workflow(
            self,
            "Workflow",
            config=config,
            asl_path=asl_path,
            bucket=self.storage.bucket,
            table=self.storage.table,
            functions=dict(self.functions.aliases),
        )
        state_machine_arn = self.workflow.state_machine.state_machine_arn
        functions[constants.PRESIGN.name].add_environment("PHOTOBOOTH_STATE_MACHINE_ARN", state_machine_arn)
        grant_function_permissions(
            config,
            functions=functions,
            storage=self.storage,
            state_machine_arn=state_machine_arn,
            sam_endpoint_name=sam_endpoint_name,
        )

        self.api = Api(self, "Api", config=config, functions=dict(self.functions.aliases))
        grant_booth_key_check(functions[constants.STATUS.name], self.api.booth_key)
        self.delivery = Delivery(
            self,
            "Delivery",
            config=config,
            storage=self.storage,
            api_domain_name=self.api.domain_name,
            web_dir=web_dir,
        )
        self.observability = Observability(
            self,
            "Observability",
            config=config,
            state_machine=self.workflow.state_machine,
            dead_letter_queue=self.workflow.dead_letter_queue,
            ended_dead_letter_queue=self.workflow.ended_dead_letter_queue,
            functions=dict(functions),
            http_api=self.api.http_api,
        )

        VisitorDashboard(
            self,
            "Visitors",
            config=config,
            dashboard=self.observability.dashboard,
            topic=self.observability.topic,
            finalize=functions[constants.FINALIZE.name],
        )
        self._acknowledge_cdk_helpers()

        CfnOutput(self, "BoothUrl", value=self.delivery.url, description="Open this on the booth pads")
        CfnOutput(
            self,
            "BoothKeySecret",
            value=self.api.booth_key.secret_name,
            description="Secrets Manager secret holding the booth key the pads must send",
        )
        CfnOutput(self, "ApiEndpoint", value=self.api.http_api.api_endpoint)
        CfnOutput(self, "BucketName", value=self.storage.bucket.bucket_name)
        CfnOutput(self, "StatusTableName", value=self.storage.table.table_name)
        CfnOutput(
            self,
            "RetentionDays",
            value=str(config.retention_days),
            description="Days the status records are kept: photobooth erase --stack keeps its tombstones as long",
        )
        CfnOutput(self, "StateMachineArn", value=state_machine_arn)
        CfnOutput(self, "AlarmTopicArn", value=self.observability.topic.topic_arn)
        CfnOutput(self, "DashboardName", value=self.observability.dashboard.dashboard_name)

    def _acknowledge_cdk_helpers(self) -> None:
        """The Lambda-backed helpers CDK itself adds (S3 -> EventBridge switch, booth page upload)."""
        account = "<AWS::AccountId>" if Token.is_unresolved(self.account) else self.account
        region = "<AWS::Region>" if Token.is_unresolved(self.region) else self.region
        for child in self.node.children:
            if child.node.id.startswith("BucketNotificationsHandler"):
                acknowledge(
                    child.node.find_child("Role"),
                    _BASIC_EXECUTION_ROLE,
                    "CDK's deploy-time helper that turns on EventBridge notifications; it only writes logs.",
                )
            elif child.node.id.startswith("Custom::CDKBucketDeployment"):
                acknowledge(
                    child,
                    "AwsSolutions-L1",
                    "CDK pins the runtime of its BucketDeployment helper; it runs only at deploy time.",
                )
                role = child.node.find_child("ServiceRole")
                acknowledge(role, _BASIC_EXECUTION_ROLE, "CDK's BucketDeployment helper only writes its own logs.")
                site_bucket_id = self.resolve(self.delivery.site_bucket.node.default_child.logical_id)  # type: ignore[union-attr]
                for finding in (
                    "Action::s3:GetObject*",
                    "Action::s3:GetBucket*",
                    "Action::s3:List*",
                    "Action::s3:DeleteObject*",
                    "Action::s3:Abort*",
                    "Resource::*",
                    f"Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-{account}-{region}/*",
                    f"Resource::<{site_bucket_id}.Arn>/*",
                ):
                    acknowledge(
                        role.node.find_child("DefaultPolicy"),
                        f"AwsSolutions-IAM5[{finding}]",
                        "CDK's BucketDeployment helper copies the booth page from the CDK asset bucket into "
                        "the site bucket and invalidates the distribution (CreateInvalidation has no "
                        "resource-level permission); CDK writes this policy, scoped to those two buckets.",
                    )


_BASIC_EXECUTION_ROLE = (
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]"
)
