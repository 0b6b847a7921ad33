"""Optional SageMaker endpoint for the SAM segmenter (serving/sam/), from the operator's model artefact."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk.region_info import FactName
from constructs import Construct

from photobooth_infra.config import SamEndpointConfig
from photobooth_infra.nag import acknowledge

# AWS Deep Learning Containers: PyTorch inference (the SageMaker inference toolkit runs code/inference.py).
_DLC_REPOSITORY = "pytorch-inference"
_DLC_TAG_GPU = "2.6.0-gpu-py312-cu124-ubuntu22.04-sagemaker"
_DLC_TAG_CPU = "2.6.0-cpu-py312-ubuntu22.04-sagemaker"

# TorchServe starts one worker per vCPU by default (one per GPU on GPU hosts), each loading its own copy of the
# checkpoint: on a CPU instance that multiplies memory and start-up time, and SAM's PyTorch already uses every core
# for one request. One worker per instance; scale with instances.
MODEL_SERVER_WORKERS = "1"


@dataclass(frozen=True)
class InferenceImage:
    registry_account: str
    repository: str
    uri: str


def inference_image(scope: Construct, sam: SamEndpointConfig) -> InferenceImage:
    """The operator's image, or the PyTorch inference DLC in the stack's region. The DLC registry account differs by
    region (opt-in regions have their own); CDK's region facts know them, as a mapping looked up at deploy time when
    the stack's region is not fixed at synthesis."""
    if sam.image_uri:
        repository = sam.image_uri.split("/", 1)[1].split(":", 1)[0].split("@", 1)[0]
        return InferenceImage(sam.image_uri.split(".", 1)[0], repository, sam.image_uri)
    tag = _DLC_TAG_GPU if sam.uses_gpu else _DLC_TAG_CPU
    account = Stack.of(scope).regional_fact(FactName.DLC_REPOSITORY_ACCOUNT)
    return InferenceImage(
        account, _DLC_REPOSITORY, f"{account}.dkr.ecr.{Aws.REGION}.{Aws.URL_SUFFIX}/{_DLC_REPOSITORY}:{tag}"
    )


def _s3_object_arn(url: str) -> str:
    return f"arn:{Aws.PARTITION}:s3:::{url.removeprefix('s3://')}"


class SamEndpoint(Construct):
    """Model (network isolated: the artefact vendors segment-anything), endpoint config and endpoint."""

    def __init__(self, scope: Construct, construct_id: str, *, sam: SamEndpointConfig) -> None:
        super().__init__(scope, construct_id)
        assert sam.model_data_url is not None  # checked by SamEndpointConfig
        image = inference_image(self, sam)

        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="photobooth SAM endpoint",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadModelArtefact", actions=["s3:GetObject"], resources=[_s3_object_arn(sam.model_data_url)]
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(sid="PullAuthorization", actions=["ecr:GetAuthorizationToken"], resources=["*"])
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="PullInferenceImage",
                actions=["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                resources=[
                    f"arn:{Aws.PARTITION}:ecr:{Aws.REGION}:{image.registry_account}:repository/{image.repository}"
                ],
            )
        )
        log_groups = f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:/aws/sagemaker/Endpoints/*"
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ContainerLogs",
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                ],
                resources=[log_groups, f"{log_groups}:log-stream:*"],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ContainerMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/Endpoints"}},
            )
        )
        policy = role.node.find_child("DefaultPolicy")
        acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::*]",
            "ecr:GetAuthorizationToken and cloudwatch:PutMetricData (limited by namespace condition) do not "
            "support resource-level permissions.",
        )
        acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:"
            "log-group:/aws/sagemaker/Endpoints/*]",
            "SageMaker names the container log group after the endpoint at run time, under this prefix.",
        )
        acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:"
            "log-group:/aws/sagemaker/Endpoints/*:log-stream:*]",
            "Log streams are named per instance at run time.",
        )

        self.model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=role.role_arn,
            enable_network_isolation=True,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                image=image.uri,
                model_data_url=sam.model_data_url,
                environment={
                    "SAGEMAKER_PROGRAM": "inference.py",
                    "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
                    "SAM_MODEL_TYPE": sam.model_type,
                    "SAGEMAKER_MODEL_SERVER_WORKERS": MODEL_SERVER_WORKERS,
                },
            ),
        )
        self.model.node.add_dependency(role)
        acknowledge(
            self.model,
            "AwsSolutions-SM1",
            "Network isolation is on (the container has no network at all), so a VPC adds cost and no protection.",
        )

        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "EndpointConfig",
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name="AllTraffic",
                    model_name=self.model.attr_model_name,
                    initial_instance_count=1,
                    instance_type=sam.instance_type,
                    initial_variant_weight=1.0,
                )
            ],
        )
        acknowledge(
            self.endpoint_config,
            "AwsSolutions-SM2",
            "GPU instances with local NVMe storage (ml.g4dn, ml.g5) refuse a KMS key for the volume; the "
            "endpoint keeps no data at rest beyond the model weights.",
        )
        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=sam.endpoint_name,
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
        )
        self.endpoint_name = sam.endpoint_name
