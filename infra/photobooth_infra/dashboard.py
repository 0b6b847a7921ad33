"""The visitor-level view on the stack's dashboard, and the alarm on the cost per visitor.

The finalize function publishes the metrics (``photobooth.observability.publish_outcome_metrics``): the request
counts, ``TimeTaken`` (seconds from upload to the terminal status), ``RequestsFailedByCode`` by ``errorCode``,
``CostPerRequest`` in USD (with only the service dimension, and again with an ``event`` dimension) and
``ImagesByModel`` by ``model``.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from photobooth.errors import ErrorCode
from photobooth_infra import constants
from photobooth_infra.config import DeploymentConfig

_SERVICE = {"service": constants.POWERTOOLS_SERVICE_NAME}
COST_WINDOW = Duration.hours(1)


def _metric(name: str, statistic: str, *, label: str | None = None, **dimensions: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=constants.METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={**_SERVICE, **dimensions},
        statistic=statistic,
        label=label,
    )


class VisitorDashboard(Construct):
    """Adds the visitor widgets to ``dashboard`` and raises ``CostPerVisitor`` on ``topic`` when the average cost of
    the requests finished in an hour is over ``config.cost_budget_per_visitor_usd``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        dashboard: cloudwatch.Dashboard,
        topic: sns.ITopic,
        finalize: lambda_.Function,
    ) -> None:
        super().__init__(scope, construct_id)
        # The event dimension of CostPerRequest, so a per-event total is one Sum away.
        finalize.add_environment("PHOTOBOOTH_EVENT_NAME", config.event_name)

        # No label: a labelled metric would turn the alarm into a metric-math alarm.
        cost_per_visitor = _metric("CostPerRequest", "Average").with_(period=COST_WINDOW)
        self.cost_alarm = cloudwatch.Alarm(
            self,
            "CostPerVisitor",
            alarm_description=(
                f"The average estimated cost per visitor over an hour is above the budget of "
                f"${config.cost_budget_per_visitor_usd} (cost_budget_per_visitor_usd). Look at the images per model: "
                "a fallback model or an upscaler may be in use."
            ),
            metric=cost_per_visitor,
            threshold=config.cost_budget_per_visitor_usd,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.cost_alarm.add_alarm_action(actions.SnsAction(topic))

        dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=f"## Visitors (event `{config.event_name}`)\nCosts are estimates from the price table of "
                "the deployed code (`pricesAsOf` in every status record).",
                width=24,
                height=2,
            ),
            cloudwatch.GraphWidget(
                title="Requests",
                left=[
                    _metric(f"Requests{outcome}", "Sum", label=outcome.lower())
                    for outcome in ("Succeeded", "Partial", "Failed")
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Time from upload to result (s)",
                left=[_metric("TimeTaken", "p50", label="p50"), _metric("TimeTaken", "p95", label="p95")],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Failures by error code",
                left=[
                    _metric("RequestsFailedByCode", "Sum", label=code.value, errorCode=code.value)
                    for code in ErrorCode
                ],
                stacked=True,
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Cost per visitor (USD)",
                left=[cost_per_visitor.with_(label="average of the hour")],
                left_annotations=[
                    cloudwatch.HorizontalAnnotation(value=config.cost_budget_per_visitor_usd, label="budget")
                ],
                width=8,
            ),
            cloudwatch.SingleValueWidget(
                title=f"Event total (USD): {config.event_name}",
                metrics=[_metric("CostPerRequest", "Sum", label="estimated total", event=config.event_name)],
                set_period_to_time_range=True,
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Images per model",
                left=[
                    _metric("ImagesByModel", "Sum", label=model, model=model) for model in config.bedrock_model_ids
                ],
                stacked=True,
                width=8,
            ),
            cloudwatch.AlarmStatusWidget(title="Cost alarm", alarms=[self.cost_alarm], width=24, height=2),
        )
