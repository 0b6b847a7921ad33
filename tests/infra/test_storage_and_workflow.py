"""Bucket, table, the state machine from the committed ASL, and the rule that starts it."""

from __future__ import annotations

import json
import re

import pytest
from photobooth_infra import constants

from tests.infra.conftest import Synth, permissions, render

pytestmark = pytest.mark.slow


def test_every_bucket_blocks_public_access_encrypts_and_requires_tls(full: Synth) -> None:
    buckets = full.resources("AWS::S3::Bucket")
    assert len(buckets) == 3  # data, booth page, access logs
    for bucket in buckets.values():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    for policy in full.resources("AWS::S3::BucketPolicy").values():
        denies = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
        assert denies[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_data_bucket_lifecycle_per_prefix_and_eventbridge(full: Synth) -> None:
    bucket_id, bucket = full.one("AWS::S3::Bucket", "StorageData")
    rules = {r["Id"]: r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert (rules["expire-originals"]["Prefix"], rules["expire-originals"]["ExpirationInDays"]) == ("photo/", 7)
    assert (rules["expire-work"]["Prefix"], rules["expire-work"]["ExpirationInDays"]) == ("work/", 7)
    assert (rules["expire-generated"]["Prefix"], rules["expire-generated"]["ExpirationInDays"]) == ("generated/", 30)
    assert rules["abort-incomplete-uploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    _, notifications = full.one("Custom::S3BucketNotifications")
    assert notifications["Properties"]["BucketName"] == {"Ref": bucket_id}
    assert notifications["Properties"]["NotificationConfiguration"] == {"EventBridgeConfiguration": {}}


def _cors_rules(synth: Synth) -> dict[str, dict]:
    _, bucket = synth.one("AWS::S3::Bucket", "StorageData")
    return {"+".join(rule["AllowedMethods"]): rule for rule in bucket["Properties"]["CorsConfiguration"]["CorsRules"]}


def test_data_bucket_cors_lets_the_booth_page_put_uploads(full: Synth) -> None:
    distribution_id = full.one("AWS::CloudFront::Distribution")[0]
    rule = _cors_rules(full)["PUT"]
    assert rule["AllowedHeaders"] == ["Content-Type"]
    assert render(rule["AllowedOrigins"]) == [f"https://<{distribution_id}.DomainName>", "http://localhost:8000"]


def test_data_bucket_cors_lets_the_phone_page_fetch_a_picture_to_share(full: Synth) -> None:
    """web/js/phone.js's Share button fetch()es the presigned picture URL (another origin than the page's); without a
    CORS rule for GET the browser refuses the answer and the page can only open the link. S3 answers a GET only
    with the CORS headers of a rule that allows GET from that origin (Amazon S3 user guide, "Elements of a CORS
    configuration", https://docs.aws.amazon.com/AmazonS3/latest/userguide/ManageCorsUsing.html)."""
    distribution_id = full.one("AWS::CloudFront::Distribution")[0]
    rules = _cors_rules(full)
    assert set(rules) == {"PUT", "GET"}, "GET only (no HEAD, DELETE or POST), and PUT keeps its own rule"
    rule = rules["GET"]
    assert render(rule["AllowedOrigins"]) == [f"https://<{distribution_id}.DomainName>", "http://localhost:8000"]
    assert "AllowedHeaders" not in rule, "a plain fetch() sends no header that needs allowing"


def test_status_table_on_demand_with_ttl_and_point_in_time_recovery(full: Synth) -> None:
    _, table = full.one("AWS::DynamoDB::Table")
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [{"AttributeName": "requestId", "KeyType": "HASH"}]
    # The other two attribute definitions are the wall index's keys (tests/infra/test_wall_and_seed_compat.py).
    assert {"AttributeName": "requestId", "AttributeType": "S"} in props["AttributeDefinitions"]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_functions_run_on_arm64_with_current_python_and_the_layer(full: Synth) -> None:
    layer_id = full.one("AWS::Lambda::LayerVersion", "FunctionsDomainLayer")[0]
    functions = {k: v for k, v in full.resources("AWS::Lambda::Function").items() if k.startswith("Functions")}
    assert len(functions) == 7  # the six of docs/architecture.md and execution_ended
    for function in functions.values():
        props = function["Properties"]
        assert props["Architectures"] == ["arm64"]
        assert props["Runtime"] == "python3.13"
        assert props["Handler"] == "handler.handler"
        assert props["Layers"] == [{"Ref": layer_id}]
        assert props["TracingConfig"] == {"Mode": "Active"}
        env = props["Environment"]["Variables"]
        assert env["PHOTOBOOTH_BACKEND"] == "aws"
        assert json.loads(env["PHOTOBOOTH_DEFAULT_THEMES"]) == ["unicorn-meadow", "floating-city", "cosmos"]
        assert json.loads(env["PHOTOBOOTH_BEDROCK_MODEL_IDS"]) == [
            "us.stability.stable-image-inpaint-v1:0",
            "amazon.nova-canvas-v1:0",
        ]
        assert env["PHOTOBOOTH_BEDROCK_REGION"] == "us-west-2"
        assert env["PHOTOBOOTH_SEGMENTATION_BACKEND"] == "sam"
        assert env["PHOTOBOOTH_SAM_ENDPOINT_NAME"] == "photobooth-sam"
        assert env["PHOTOBOOTH_GENERATE_MAX_CONCURRENCY"] == "2"
        assert [t["name"] for t in json.loads(env["PHOTOBOOTH_THEMES"])][:3] == [
            "unicorn-meadow",
            "floating-city",
            "cosmos",
        ]
    presign = next(v for k, v in functions.items() if k.startswith("FunctionsPresign"))
    state_machine_id = full.one("AWS::StepFunctions::StateMachine")[0]
    assert presign["Properties"]["Environment"]["Variables"]["PHOTOBOOTH_STATE_MACHINE_ARN"] == {
        "Ref": state_machine_id
    }
    others = [v for k, v in functions.items() if not k.startswith("FunctionsPresign")]
    assert all("PHOTOBOOTH_STATE_MACHINE_ARN" not in f["Properties"]["Environment"]["Variables"] for f in others)
    # The status function checks the booth key where the visitors' routes need it (a pad's own id, the execution).
    status = next(v for k, v in functions.items() if k.startswith("FunctionsStatus"))
    secret_id = full.one("AWS::SecretsManager::Secret")[0]
    assert status["Properties"]["Environment"]["Variables"]["PHOTOBOOTH_BOOTH_KEY_SECRET_ARN"] == {"Ref": secret_id}
    keyed = [
        k
        for k, v in functions.items()
        if "PHOTOBOOTH_BOOTH_KEY_SECRET_ARN" in v["Properties"]["Environment"]["Variables"]
    ]
    assert len(keyed) == 1


def test_deployed_definition_is_the_committed_asl(full: Synth) -> None:
    _, machine = full.one("AWS::StepFunctions::StateMachine")
    props = machine["Properties"]
    committed = constants.ASL_PATH.read_text(encoding="utf-8")
    assert props["DefinitionString"] == committed
    assert props["StateMachineType"] == "STANDARD"

    ids = {
        name: full.one("AWS::Lambda::Function", f"Functions{name}Function")[0]
        for name in ("DetectFace", "Segment", "Generate", "Finalize")
    }
    table_id = full.one("AWS::DynamoDB::Table")[0]
    substitutions = props["DefinitionSubstitutions"]
    assert substitutions == {
        "DetectFaceFunctionArn": {"Fn::GetAtt": [ids["DetectFace"], "Arn"]},
        "SegmentFunctionArn": {"Fn::GetAtt": [ids["Segment"], "Arn"]},
        "GenerateFunctionArn": {"Fn::GetAtt": [ids["Generate"], "Arn"]},
        "FinalizeFunctionArn": {"Fn::GetAtt": [ids["Finalize"], "Arn"]},
        "StatusTableName": {"Ref": table_id},
        "DefaultThemes": "unicorn-meadow,floating-city,cosmos",
        "GenerateMaxConcurrency": "2",
    }
    assert set(re.findall(r"\$\{(\w+)\}", committed)) == set(substitutions)

    deployed = committed
    for key, value in substitutions.items():
        deployed = deployed.replace("${" + key + "}", str(render(value)))
    definition = json.loads(deployed)
    tasks = _tasks(definition["States"])
    lambda_targets = {
        t["Parameters"]["FunctionName"] for t in tasks if t["Resource"] == "arn:aws:states:::lambda:invoke"
    }
    assert lambda_targets == {f"<{i}.Arn>" for i in ids.values()}
    tables = {t["Parameters"]["TableName"] for t in tasks if t["Resource"].startswith("arn:aws:states:::dynamodb:")}
    assert tables == {f"<{table_id}>"}
    # Exactly what the workflow role allows (tests/infra/test_permissions.py): a new integration needs IAM too.
    assert {t["Resource"] for t in tasks} == {
        "arn:aws:states:::lambda:invoke",
        "arn:aws:states:::dynamodb:updateItem",
        "arn:aws:states:::dynamodb:getItem",
    }


def _tasks(states: dict) -> list[dict]:
    found = []
    for state in states.values():
        if state["Type"] == "Task":
            found.append(state)
        for nested in (state.get("ItemProcessor"), state.get("Iterator"), *state.get("Branches", [])):
            if nested:
                found += _tasks(nested["States"])
    return found


def test_workflow_logs_leave_execution_data_out_and_traces(full: Synth) -> None:
    _, machine = full.one("AWS::StepFunctions::StateMachine")
    logging = machine["Properties"]["LoggingConfiguration"]
    assert logging["IncludeExecutionData"] is False
    assert logging["Level"] == "ALL"
    assert machine["Properties"]["TracingConfiguration"] == {"Enabled": True}


def test_upload_rule_matches_photo_prefix_and_targets_the_workflow_with_retries_and_dlq(full: Synth) -> None:
    _, rule = full.one("AWS::Events::Rule", "WorkflowPhotoUploaded")
    bucket_id = full.one("AWS::S3::Bucket", "StorageData")[0]
    state_machine_id = full.one("AWS::StepFunctions::StateMachine")[0]
    queue_id = full.one("AWS::SQS::Queue", "WorkflowStartFailures")[0]
    props = rule["Properties"]
    assert props["EventPattern"] == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [{"Ref": bucket_id}]}, "object": {"key": [{"prefix": "photo/"}]}},
    }
    (target,) = props["Targets"]
    assert target["Arn"] == {"Ref": state_machine_id}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 7200, "MaximumRetryAttempts": 8}
    target_role = target["RoleArn"]["Fn::GetAtt"][0]
    assert permissions(full, target_role) == {"states:StartExecution": {f"<{state_machine_id}>"}}


@pytest.mark.parametrize(("queue", "rule"), [("StartFailures", "PhotoUploaded"), ("EndFailures", "ExecutionEnded")])
def test_each_dead_letter_queue_is_encrypted_and_accepts_only_its_rule(full: Synth, queue: str, rule: str) -> None:
    queue_id, queue = full.one("AWS::SQS::Queue", f"Workflow{queue}")
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    (policy,) = [
        p
        for p in full.resources("AWS::SQS::QueuePolicy").values()
        if p["Properties"]["Queues"] == [{"Ref": queue_id}]
    ]
    rule_id = full.one("AWS::Events::Rule", f"Workflow{rule}")[0]
    allow = [
        {k: v for k, v in s.items() if k != "Sid"}
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]
    assert allow == [
        {
            "Action": "sqs:SendMessage",
            "Condition": {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]}}},
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Resource": {"Fn::GetAtt": [queue_id, "Arn"]},
        }
    ]


@pytest.mark.slow
def test_every_function_environment_is_valid_domain_settings(full: Synth, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the stack sets is what `photobooth.config.Settings` reads: a renamed or mistyped variable fails here,
    not on the first visitor."""
    from photobooth.config import Settings

    for function in (v for k, v in full.resources("AWS::Lambda::Function").items() if k.startswith("Functions")):
        for key, value in render(function["Properties"]["Environment"]["Variables"]).items():
            monkeypatch.setenv(key, str(value))
        settings = Settings()
        assert settings.backend == "aws"
        assert settings.theme("cosmos").prompt
        assert set(settings.default_themes) <= {theme.name for theme in settings.themes}
        assert settings.bedrock_model_ids[0] == "us.stability.stable-image-inpaint-v1:0"


def test_an_execution_that_ends_early_reaches_the_execution_ended_function(full: Synth) -> None:
    """Step Functions emits "Execution Status Change" events to EventBridge: a failed, timed-out or aborted execution
    of THIS state machine (not another one in the account) invokes execution_ended, which marks the request
    FAILED unless it is already finished; the delivery retries and dead-letters like the upload rule's."""
    _, rule = full.one("AWS::Events::Rule", "WorkflowExecutionEnded")
    state_machine_id = full.one("AWS::StepFunctions::StateMachine")[0]
    function_id = full.one("AWS::Lambda::Function", "FunctionsExecutionEndedFunction")[0]
    queue_id = full.one("AWS::SQS::Queue", "WorkflowEndFailures")[0]
    props = rule["Properties"]
    assert props["EventPattern"] == {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"status": ["FAILED", "TIMED_OUT", "ABORTED"], "stateMachineArn": [{"Ref": state_machine_id}]},
    }
    (target,) = props["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 7200, "MaximumRetryAttempts": 8}
    (invoke,) = [
        p["Properties"]
        for p in full.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == {"Fn::GetAtt": [function_id, "Arn"]}
    ]
    assert invoke["Principal"] == "events.amazonaws.com"
    assert invoke["SourceArn"] == {"Fn::GetAtt": [full.one("AWS::Events::Rule", "WorkflowExecutionEnded")[0], "Arn"]}


def test_function_timeouts_are_the_sized_ones(full: Synth) -> None:
    """The synthesized timeouts are constants.py's, which tests/infra/test_units.py checks against the code."""
    timeouts = {
        name: full.one("AWS::Lambda::Function", f"Functions{name}Function")[1]["Properties"]["Timeout"]
        for name in ("Presign", "Segment", "Generate", "ExecutionEnded")
    }
    assert timeouts == {"Presign": 30, "Segment": 100, "Generate": 300, "ExecutionEnded": 30}
