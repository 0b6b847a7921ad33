"""The Standard state machine from the committed ASL file, and the S3 event rule that starts it."""

from __future__ import annotations

import re
from pathlib import Path

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from photobooth_infra import constants
from photobooth_infra.config import DeploymentConfig
from photobooth_infra.nag import acknowledge

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)\}")


def asl_placeholders(definition: str) -> set[str]:
    return set(_PLACEHOLDER.findall(definition))


def definition_substitutions(
    config: DeploymentConfig, *, functions: dict[str, lambda_.IFunction], table: dynamodb.ITable
) -> dict[str, str]:
    """The substitutions of docs/architecture.md, in the form Step Functions expects (all strings).

    ``functions`` are the live aliases: the workflow invokes the SnapStart-restored published versions.
    """
    return {
        "DetectFaceFunctionArn": functions[constants.DETECT_FACE.name].function_arn,
        "SegmentFunctionArn": functions[constants.SEGMENT.name].function_arn,
        "GenerateFunctionArn": functions[constants.GENERATE.name].function_arn,
        "FinalizeFunctionArn": functions[constants.FINALIZE.name].function_arn,
        "StatusTableName": table.table_name,
        "DefaultThemes": ",".join(config.default_themes),
        "GenerateMaxConcurrency": str(config.generate_max_concurrency),
    }


class Workflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        asl_path: Path,
        bucket: s3.IBucket,
        table: dynamodb.ITable,
        functions: dict[str, lambda_.IFunction],
    ) -> None:
        super().__init__(scope, construct_id)
        definition = asl_path.read_text(encoding="utf-8")
        substitutions = definition_substitutions(config, functions=functions, table=table)
        missing = asl_placeholders(definition) - substitutions.keys()
        unused = substitutions.keys() - asl_placeholders(definition)
        if missing or unused:
            raise ValueError(
                f"{asl_path.name} and the infrastructure disagree on definition substitutions: "
                f"not provided {sorted(missing)}, not used {sorted(unused)}"
            )

        role = iam.Role(
            self, "Role", assumed_by=iam.ServicePrincipal("states.amazonaws.com"), description="photobooth workflow"
        )
        # The functions are the live aliases (functions.live_alias), so the grant names the alias ARNs the
        # definition invokes: a grant on the unqualified ARN would not let Step Functions call `name:live`.
        role.add_to_policy(
            iam.PolicyStatement(
                sid="InvokeWorkflowFunctions",
                actions=["lambda:InvokeFunction"],
                resources=[functions[spec.name].function_arn for spec in constants.WORKFLOW_FUNCTIONS],
            )
        )
        # UpdateItem: "Claim the request" and "Mark the request failed"; GetItem: "Was the request erased?".
        role.add_to_policy(
            iam.PolicyStatement(
                sid="StatusRecord", actions=["dynamodb:UpdateItem", "dynamodb:GetItem"], resources=[table.table_arn]
            )
        )

        # The /aws/vendedlogs/ prefix keeps CloudWatch's log resource policy small (Step Functions' advice).
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/vendedlogs/states/{config.stack_name}-workflow",
            retention=constants.LOG_RETENTION[config.log_retention_days],
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_string(definition),
            definition_substitutions=substitutions,
            role=role,
            tracing_enabled=True,
            # ALL events for the timeline, but never the input/output: that holds keys and faces of visitors.
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )

        acknowledge(
            role.node.find_child("DefaultPolicy"),
            "AwsSolutions-IAM5[Resource::*]",
            "Step Functions' log delivery (logs:CreateLogDelivery, ...) and X-Ray (PutTraceSegments, ...) do not "
            "support resource-level permissions; CDK adds exactly these for logging and tracing.",
        )

        self.dead_letter_queue = self._dead_letter_queue("StartFailures", "the upload rule")
        self.rule = events.Rule(
            self,
            "PhotoUploaded",
            description="An object under photo/ starts the photobooth workflow",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [bucket.bucket_name]},
                    "object": {"key": [{"prefix": constants.PHOTO_PREFIX}]},
                },
            ),
            targets=[
                targets.SfnStateMachine(
                    self.state_machine,
                    dead_letter_queue=self.dead_letter_queue,
                    retry_attempts=constants.EVENT_RETRY_ATTEMPTS,
                    max_event_age=constants.EVENT_MAX_AGE,
                )
            ],
        )

        self.ended_dead_letter_queue = self._dead_letter_queue("EndFailures", "the execution-ended rule")
        # An execution that fails outside the definition's Catch (a States.Runtime error, a timeout, an abort, a
        # last step that keeps failing) would leave its request PROCESSING until the record expires.
        self.ended_rule = events.Rule(
            self,
            "ExecutionEnded",
            description="A photobooth execution failed, timed out or was aborted: its request must not stay running",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={
                    "status": ["FAILED", "TIMED_OUT", "ABORTED"],
                    "stateMachineArn": [self.state_machine.state_machine_arn],
                },
            ),
            targets=[
                targets.LambdaFunction(
                    functions[constants.EXECUTION_ENDED.name],
                    dead_letter_queue=self.ended_dead_letter_queue,
                    retry_attempts=constants.EVENT_RETRY_ATTEMPTS,
                    max_event_age=constants.EVENT_MAX_AGE,
                )
            ],
        )

    def _dead_letter_queue(self, construct_id: str, rule: str) -> sqs.Queue:
        """Where EventBridge puts an event it could not deliver after its retries (encrypted, TLS only)."""
        queue = sqs.Queue(
            self,
            construct_id,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=constants.DLQ_RETENTION,
        )
        acknowledge(queue, "AwsSolutions-SQS3", f"This queue is itself the dead-letter queue of {rule}.")
        return queue
