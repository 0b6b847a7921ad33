"""The visitor dashboard and the alarm on the cost per visitor, in the synthesized template."""

from __future__ import annotations

import json

import pytest

from photobooth import cost
from photobooth.errors import ErrorCode
from tests.infra.conftest import Synth, render

WIDGET_METRICS = ("RequestsSucceeded", "RequestsFailed", "TimeTaken", "RequestsFailedByCode", "CostPerRequest")


def _dashboard_body(synth: Synth) -> dict:
    _, dashboard = synth.one("AWS::CloudWatch::Dashboard")
    return json.loads(render(dashboard["Properties"]["DashboardBody"]))


def _widget(body: dict, title_start: str) -> dict:
    found = [w for w in body["widgets"] if str(w["properties"].get("title", "")).startswith(title_start)]
    assert len(found) == 1, (
        f"no single widget titled {title_start!r}: {[w['properties'].get('title') for w in body['widgets']]}"
    )
    return found[0]["properties"]


def _cost_alarm(synth: Synth) -> dict:
    found = [
        a["Properties"]
        for a in synth.resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "CostPerRequest"
    ]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.slow
def test_the_alarm_fires_when_the_hourly_cost_per_visitor_is_over_the_budget(default: Synth) -> None:
    alarm = _cost_alarm(default)

    assert alarm["Namespace"] == "Photobooth"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "photobooth"}]  # every event together
    assert alarm["Statistic"] == "Average" and alarm["Period"] == 3600
    assert alarm["Threshold"] == 0.30 and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["EvaluationPeriods"] == 1 and alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == [{"Ref": default.one("AWS::SNS::Topic")[0]}]


@pytest.mark.slow
def test_the_dashboard_shows_requests_time_failures_cost_and_images_per_model(full: Synth) -> None:
    body = _dashboard_body(full)
    text = json.dumps(body)
    for name in WIDGET_METRICS:
        assert f'"{name}"' in text, f"{name} is on no widget"

    time_taken = _widget(body, "Time from upload")["metrics"]
    assert [m[-1]["stat"] for m in time_taken] == ["p50", "p95"]
    failures = _widget(body, "Failures by error code")["metrics"]
    assert {m[m.index("errorCode") + 1] for m in failures} == {code.value for code in ErrorCode}
    per_model = _widget(body, "Images per model")["metrics"]
    assert [m[m.index("model") + 1] for m in per_model] == list(full.stack.config.bedrock_model_ids)
    cost_widget = _widget(body, "Cost per visitor")
    assert cost_widget["annotations"]["horizontal"][0]["value"] == 0.30
    event_total = _widget(body, "Event total")["metrics"][0]
    assert event_total[event_total.index("event") + 1] == "default" and event_total[-1]["stat"] == "Sum"


@pytest.mark.slow
def test_the_finalize_function_names_the_event_of_its_cost_metric(default: Synth) -> None:
    _, finalize = default.one("AWS::Lambda::Function", "FunctionsFinalizeFunction")
    assert finalize["Properties"]["Environment"]["Variables"]["PHOTOBOOTH_EVENT_NAME"] == "default"


def test_the_budget_and_the_event_are_configuration() -> None:
    """A bare stack with only the visitor construct: the full app's synth is not needed for the settings."""
    from aws_cdk import App, Stack
    from aws_cdk import aws_cloudwatch as cloudwatch
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_sns as sns
    from aws_cdk.assertions import Match, Template
    from photobooth_infra.config import DeploymentConfig
    from photobooth_infra.dashboard import VisitorDashboard

    config = DeploymentConfig(cost_budget_per_visitor_usd=0.5, event_name="wedding-2026-12")
    stack = Stack(App(), "Bare")
    finalize = lambda_.Function(
        stack,
        "Finalize",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="handler.handler",
        code=lambda_.Code.from_inline("def handler(event, context): return {}"),
    )
    VisitorDashboard(
        stack,
        "Visitors",
        config=config,
        dashboard=cloudwatch.Dashboard(stack, "Dashboard"),
        topic=sns.Topic(stack, "Alarms"),
        finalize=finalize,
    )
    template = Template.from_stack(stack)

    template.has_resource_properties("AWS::CloudWatch::Alarm", {"MetricName": "CostPerRequest", "Threshold": 0.5})
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Environment": {"Variables": Match.object_like({"PHOTOBOOTH_EVENT_NAME": "wedding-2026-12"})}},
    )
    body = json.dumps(template.find_resources("AWS::CloudWatch::Dashboard"))
    assert "wedding-2026-12" in body


def test_the_cost_arithmetic_knows_the_deployed_function_sizes() -> None:
    from photobooth_infra import constants

    deployed = {spec.name: spec.memory_mb for spec in constants.WORKFLOW_FUNCTIONS}
    assert deployed == cost.DEFAULT_MEMORY_MB
