"""Each function, the workflow and the rule get exactly the actions and resources they use."""

from __future__ import annotations

import pytest

from tests.infra.conftest import Synth, as_list, function_role_id, permissions, render, role_statements

pytestmark = pytest.mark.slow


def ids(synth: Synth) -> dict[str, str]:
    return {
        "bucket": synth.one("AWS::S3::Bucket", "StorageData")[0],
        "table": synth.one("AWS::DynamoDB::Table", "StorageStatus")[0],
        "state_machine": synth.one("AWS::StepFunctions::StateMachine")[0],
        **{
            name: synth.one("AWS::Lambda::Function", f"Functions{name}Function")[0]
            for name in ("Presign", "Status", "DetectFace", "Segment", "Generate", "Finalize")
        },
    }


def expected_permissions(synth: Synth, *, sam: bool) -> dict[str, dict[str, set[str]]]:
    i = ids(synth)
    bucket, table = f"<{i['bucket']}.Arn>", f"<{i['table']}.Arn>"
    photo, work, generated = f"{bucket}/photo/*", f"{bucket}/work/*", f"{bucket}/generated/*"
    segment = {"s3:GetObject": {work}, "s3:PutObject": {work}}
    if sam:
        segment["sagemaker:InvokeEndpoint"] = {
            "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:endpoint/photobooth-sam"
        }
    return {
        "Presign": {
            "s3:PutObject": {photo},
            "s3:GetObject": {photo},
            "s3:ListBucket": {bucket},
            "dynamodb:PutItem": {table},
            "dynamodb:GetItem": {table},
            "dynamodb:UpdateItem": {table},
            "states:StartExecution": {f"<{i['state_machine']}>"},
        },
        "Status": {
            "s3:GetObject": {photo, generated},
            "s3:ListBucket": {bucket},
            "s3:DeleteObject": {photo, work, generated},
            "dynamodb:GetItem": {table},
            "dynamodb:DeleteItem": {table},
        },
        "DetectFace": {
            "s3:GetObject": {photo},
            "s3:PutObject": {work},
            "rekognition:DetectFaces": {"*"},
            "rekognition:DetectLabels": {"*"},
        },
        "Segment": segment,
        "Generate": {
            "s3:GetObject": {work},
            "s3:PutObject": {generated},
            "bedrock:InvokeModel": set(),  # checked on its own below
            "dynamodb:UpdateItem": {table},
        },
        "Finalize": {
            "dynamodb:UpdateItem": {table},
            "dynamodb:GetItem": {table},
            "dynamodb:DeleteItem": {table},
            "s3:ListBucket": {bucket},
            "s3:DeleteObject": {photo, work, generated},
        },
    }


@pytest.mark.parametrize("name", ["Presign", "Status", "DetectFace", "Segment", "Generate", "Finalize"])
def test_each_function_gets_only_what_it_uses(full: Synth, name: str) -> None:
    granted = permissions(full, function_role_id(full, f"Functions{name}Function"))
    expected = expected_permissions(full, sam=True)[name]
    if name == "Generate":
        granted.pop("bedrock:InvokeModel")
        expected.pop("bedrock:InvokeModel")
    assert granted == expected


def test_list_bucket_is_limited_to_the_request_prefixes(full: Synth) -> None:
    conditions = {}
    for name in ("Presign", "Status"):
        for statement in role_statements(full, function_role_id(full, f"Functions{name}Function")):
            if statement["Action"] == "s3:ListBucket":
                conditions[name] = statement["Condition"]
    assert conditions == {
        "Presign": {"StringLike": {"s3:prefix": ["photo/*"]}},
        "Status": {"StringLike": {"s3:prefix": ["photo/*", "work/*", "generated/*"]}},
    }


def test_bedrock_is_limited_to_the_configured_models_and_regions(full: Synth) -> None:
    granted = permissions(full, function_role_id(full, "FunctionsGenerateFunction"))["bedrock:InvokeModel"]
    fm = "arn:<AWS::Partition>:bedrock:{}::foundation-model/amazon.nova-canvas-v1:0"
    profile = "arn:<AWS::Partition>:bedrock:{}:<AWS::AccountId>:inference-profile/us.amazon.nova-canvas-v1:0"
    regions = ("eu-west-1", "us-east-1")
    assert granted == {fm.format(r) for r in regions} | {profile.format(r) for r in regions}


def test_no_wildcard_actions_and_nothing_but_presign_writes_originals(full: Synth) -> None:
    bucket = ids(full)["bucket"]
    for name in ("Presign", "Status", "DetectFace", "Segment", "Generate", "Finalize"):
        for statement in role_statements(full, function_role_id(full, f"Functions{name}Function")):
            actions = as_list(statement["Action"])
            assert not [a for a in actions if "*" in a], (name, actions)
            resources = {render(r) for r in as_list(statement["Resource"])}
            if "s3:PutObject" in actions and name != "Presign":
                assert f"<{bucket}.Arn>/photo/*" not in resources, name


def test_workflow_role_invokes_the_four_workflow_functions_and_updates_the_table(full: Synth) -> None:
    i = ids(full)
    role_id = full.one("AWS::StepFunctions::StateMachine")[1]["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    granted = permissions(full, role_id)
    assert granted == {
        "lambda:InvokeFunction": {f"<{i[n]}.Arn>" for n in ("DetectFace", "Segment", "Generate", "Finalize")},
        "dynamodb:UpdateItem": {f"<{i['table']}.Arn>"},
    }


def test_default_deployment_has_no_sagemaker_access(default: Synth) -> None:
    granted = permissions(default, function_role_id(default, "FunctionsSegmentFunction"))
    assert granted == expected_permissions(default, sam=False)["Segment"]
    bedrock = permissions(default, function_role_id(default, "FunctionsGenerateFunction"))["bedrock:InvokeModel"]
    assert bedrock == {
        "arn:<AWS::Partition>:bedrock:<AWS::Region>:<AWS::AccountId>:inference-profile/us.stability.stable-image-inpaint-v1:0",
        *(
            f"arn:<AWS::Partition>:bedrock:<AWS::Region>::foundation-model/{m}"
            for m in (
                "stability.stable-image-inpaint-v1:0",
                "amazon.titan-image-generator-v2:0",
                "amazon.nova-canvas-v1:0",
            )
        ),
    }


def test_authorizer_reads_only_the_booth_key(full: Synth) -> None:
    secret_id = full.one("AWS::SecretsManager::Secret")[0]
    assert permissions(full, function_role_id(full, "ApiAuthorizerFunction")) == {
        "secretsmanager:GetSecretValue": {f"<{secret_id}>"}
    }


def test_function_logs_go_only_to_their_own_log_group(full: Synth) -> None:
    for name in ("Presign", "Generate"):
        _, function = full.one("AWS::Lambda::Function", f"Functions{name}Function")
        log_group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        logs = permissions(
            full,
            function_role_id(full, f"Functions{name}Function"),
            skip=("xray:", "s3:", "dynamodb:", "states:", "bedrock:"),
        )
        assert logs == {"logs:CreateLogStream": {f"<{log_group}.Arn>"}, "logs:PutLogEvents": {f"<{log_group}.Arn>"}}
