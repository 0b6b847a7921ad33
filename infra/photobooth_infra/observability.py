"""Alarms (failed executions, dead-lettered start events, function errors) and one dashboard."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from photobooth_infra.config import DeploymentConfig
from photobooth_infra.nag import acknowledge

_WINDOW = Duration.minutes(15)


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        state_machine: sfn.StateMachine,
        dead_letter_queue: sqs.IQueue,
        ended_dead_letter_queue: sqs.IQueue,
        functions: dict[str, lambda_.IFunction],
        http_api: apigw.HttpApi,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Alarms", display_name="photobooth alarms", enforce_ssl=True)
        acknowledge(
            self.topic,
            "AwsSolutions-SNS2",
            "Alarm notifications carry no personal data, and CloudWatch cannot publish to a topic encrypted "
            "with the AWS-managed SNS key.",
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        action = actions.SnsAction(self.topic)

        self.alarms: list[cloudwatch.Alarm] = []

        def alarm(name: str, metric: cloudwatch.IMetric, threshold: float, description: str) -> None:
            created = cloudwatch.Alarm(
                self,
                name,
                alarm_description=description,
                metric=metric,
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            created.add_alarm_action(action)
            self.alarms.append(created)

        alarm(
            "FailedExecutions",
            state_machine.metric_failed(period=_WINDOW, statistic="Sum"),
            config.failed_executions_alarm_threshold,
            "Many photos failed in 15 minutes (a photo without a face fails too: look at the status records' "
            "error codes before anything else).",
        )
        alarm(
            "TimedOutExecutions",
            state_machine.metric_timed_out(period=_WINDOW, statistic="Sum"),
            1,
            "A workflow execution timed out.",
        )
        alarm(
            "DeadLetteredUploads",
            dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            1,
            "An upload event could not start the workflow: the photo was not processed. The message holds the key.",
        )
        alarm(
            "DeadLetteredExecutionEnds",
            ended_dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            1,
            "A failed, timed-out or aborted execution could not mark its request FAILED: the request may show "
            "PROCESSING until it expires. The message holds the execution.",
        )
        for name, function in functions.items():
            alarm(
                f"{name.title().replace('_', '')}Errors",
                function.metric_errors(period=_WINDOW, statistic="Sum"),
                config.function_errors_alarm_threshold,
                f"The {name} function failed repeatedly in 15 minutes.",
            )
        alarm(
            "Api5xx",
            http_api.metric_server_error(period=_WINDOW, statistic="Sum"),
            5,
            "The booth API answered 5xx repeatedly.",
        )

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=Duration.hours(3))
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Photos (workflow executions)",
                left=[
                    state_machine.metric_started(statistic="Sum"),
                    state_machine.metric_succeeded(statistic="Sum"),
                    state_machine.metric_failed(statistic="Sum"),
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Time per photo (ms)",
                left=[state_machine.metric_time(statistic="p50"), state_machine.metric_time(statistic="p90")],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Function errors",
                left=[f.metric_errors(statistic="Sum", label=n) for n, f in functions.items()],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Function duration p90 (ms)",
                left=[f.metric_duration(statistic="p90", label=n) for n, f in functions.items()],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Booth API",
                left=[
                    http_api.metric_count(statistic="Sum"),
                    http_api.metric_client_error(statistic="Sum"),
                    http_api.metric_server_error(statistic="Sum"),
                ],
                right=[http_api.metric_latency(statistic="p90")],
                width=12,
            ),
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=12),
        )
