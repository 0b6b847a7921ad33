"""Alarms, dashboard and the optional SAM endpoint."""

from __future__ import annotations

import pytest

from tests.infra.conftest import SAM_ARTEFACT, Synth, function_role_id, permissions, render

pytestmark = pytest.mark.slow


def _alarms(synth: Synth) -> dict[str, dict]:
    return {k: v["Properties"] for k, v in synth.resources("AWS::CloudWatch::Alarm").items()}


def test_alarms_cover_failed_executions_dead_letters_and_every_function(full: Synth) -> None:
    alarms = _alarms(full)
    topic_id = full.one("AWS::SNS::Topic")[0]
    state_machine_id = full.one("AWS::StepFunctions::StateMachine")[0]
    start_queue = full.one("AWS::SQS::Queue", "WorkflowStartFailures")[0]
    end_queue = full.one("AWS::SQS::Queue", "WorkflowEndFailures")[0]
    by_metric = {}
    for props in alarms.values():
        assert props["AlarmActions"] == [{"Ref": topic_id}]
        dimensions = {d["Name"]: render(d["Value"]) for d in props.get("Dimensions", [])}
        by_metric.setdefault(props["MetricName"], []).append((dimensions, props["Threshold"]))
    assert ({"StateMachineArn": f"<{state_machine_id}>"}, 5) in by_metric["ExecutionsFailed"]
    for queue_id in (start_queue, end_queue):
        assert ({"QueueName": f"<{queue_id}.QueueName>"}, 1) in by_metric["ApproximateNumberOfMessagesVisible"]
    errored = {d["FunctionName"] for d, _ in by_metric["Errors"]}
    assert errored == {
        f"<{full.one('AWS::Lambda::Function', f'Functions{n}Function')[0]}>"
        for n in ("Presign", "Status", "DetectFace", "Segment", "Generate", "Finalize", "ExecutionEnded")
    }
    _, subscription = full.one("AWS::SNS::Subscription")
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "ops@example.com"
    full.one("AWS::CloudWatch::Dashboard")


def test_sam_endpoint_from_the_operators_artefact_with_network_isolation(full: Synth) -> None:
    _, model = full.one("AWS::SageMaker::Model")
    props = model["Properties"]
    assert props["EnableNetworkIsolation"] is True
    container = props["PrimaryContainer"]
    assert container["ModelDataUrl"] == SAM_ARTEFACT
    assert container["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"
    # eu-west-1's Deep Learning Containers registry, from CDK's region facts (not a hard-coded account).
    assert render(container["Image"]) == (
        "763104351884.dkr.ecr.<AWS::Region>.<AWS::URLSuffix>/pytorch-inference:"
        "2.6.0-gpu-py312-cu124-ubuntu22.04-sagemaker"
    )
    # TorchServe would start one worker (one model copy) per vCPU.
    assert container["Environment"]["SAGEMAKER_MODEL_SERVER_WORKERS"] == "1"
    _, config = full.one("AWS::SageMaker::EndpointConfig")
    (variant,) = config["Properties"]["ProductionVariants"]
    assert variant["InstanceType"] == "ml.g4dn.xlarge"
    _, endpoint = full.one("AWS::SageMaker::Endpoint")
    assert endpoint["Properties"]["EndpointName"] == "photobooth-sam"
    role_id = props["ExecutionRoleArn"]["Fn::GetAtt"][0]
    granted = permissions(full, role_id, skip=("logs:", "ecr:GetAuthorizationToken", "cloudwatch:"))
    repository = "arn:<AWS::Partition>:ecr:<AWS::Region>:763104351884:repository/pytorch-inference"
    assert granted == {
        "s3:GetObject": {"arn:<AWS::Partition>:s3:::my-artefacts/photobooth/sam/model.tar.gz"},
        "ecr:BatchGetImage": {repository},
        "ecr:GetDownloadUrlForLayer": {repository},
        "ecr:BatchCheckLayerAvailability": {repository},
    }


def test_default_deployment_has_no_endpoint_and_uses_the_selfie_model(default: Synth) -> None:
    """The selfie model runs inside the segment function (ONNX Runtime, in the layer): no endpoint, no extra call."""
    assert not default.resources("AWS::SageMaker::Endpoint")
    assert not default.resources("AWS::SageMaker::Model")
    _, segment = default.one("AWS::Lambda::Function", "FunctionsSegmentFunction")
    env = segment["Properties"]["Environment"]["Variables"]
    assert env["PHOTOBOOTH_SEGMENTATION_BACKEND"] == "selfie"
    assert "PHOTOBOOTH_SAM_ENDPOINT_NAME" not in env
    assert "sagemaker:InvokeEndpoint" not in permissions(
        default, function_role_id(default, "FunctionsSegmentFunction")
    )
    assert not default.resources("AWS::SNS::Subscription")


def test_a_region_agnostic_stack_looks_the_container_registry_up_per_region() -> None:
    """Opt-in regions have their own Deep Learning Containers account: a stack synthesized without a region maps
    each region to its account instead of assuming 763104351884."""
    from aws_cdk import App, Stack
    from aws_cdk.assertions import Template
    from photobooth_infra.config import SamEndpointConfig
    from photobooth_infra.sam_endpoint import SamEndpoint

    stack = Stack(App(), "RegionAgnostic")
    SamEndpoint(
        stack, "Sam", sam=SamEndpointConfig(deploy=True, model_data_url=SAM_ARTEFACT, instance_type="ml.m5.large")
    )
    template = Template.from_stack(stack).to_json()

    (model,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::Model"]
    image = model["Properties"]["PrimaryContainer"]["Image"]
    (mapping_name,) = template["Mappings"]
    lookup = image["Fn::Join"][1][0]
    assert lookup == {"Fn::FindInMap": [mapping_name, {"Ref": "AWS::Region"}, "value"]}
    accounts = {region: facts["value"] for region, facts in template["Mappings"][mapping_name].items()}
    assert accounts["us-east-1"] == "763104351884"
    assert accounts["eu-south-1"] != "763104351884"  # an opt-in region
    assert image["Fn::Join"][1][-1].endswith("pytorch-inference:2.6.0-cpu-py312-ubuntu22.04-sagemaker")
    (policy,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    (pull,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s.get("Sid") == "PullInferenceImage"]
    assert lookup in pull["Resource"]["Fn::Join"][1]  # the image is pulled from the same regional account
