"""Each function, the workflow and the rule get exactly the actions and resources they use."""

from __future__ import annotations

import pytest

from tests.infra.conftest import PRODUCT_ID, Synth, as_list, function_role_id, permissions, render, role_statements

pytestmark = pytest.mark.slow

FUNCTIONS = ("Presign", "Status", "DetectFace", "Segment", "Generate", "Finalize", "ExecutionEnded")
MARKETPLACE = ("aws-marketplace:Subscribe", "aws-marketplace:Unsubscribe", "aws-marketplace:ViewSubscriptions")


def ids(synth: Synth) -> dict[str, str]:
    return {
        "bucket": synth.one("AWS::S3::Bucket", "StorageData")[0],
        "table": synth.one("AWS::DynamoDB::Table", "StorageStatus")[0],
        "state_machine": synth.one("AWS::StepFunctions::StateMachine")[0],
        **{name: synth.one("AWS::Lambda::Function", f"Functions{name}Function")[0] for name in FUNCTIONS},
    }


def live_alias_id(synth: Synth, name: str) -> str:
    """The workflow invokes each function's SnapStart alias (tests/infra/test_snapstart.py)."""
    return synth.one("AWS::Lambda::Alias", f"Functions{name}FunctionLive")[0]


def expected_permissions(synth: Synth, *, sam: bool) -> dict[str, dict[str, set[str]]]:
    i = ids(synth)
    bucket, table = f"<{i['bucket']}.Arn>", f"<{i['table']}.Arn>"
    photo, work, generated = f"{bucket}/photo/*", f"{bucket}/work/*", f"{bucket}/generated/*"
    wall = f"{bucket}/wall/*"  # the event wall's copies (tests/infra/test_wall_copies.py)
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
            "s3:GetObject": {photo, generated, wall},
            "s3:ListBucket": {bucket},
            "s3:DeleteObject": {photo, work, generated, wall},
            "dynamodb:GetItem": {table},
            "dynamodb:DeleteItem": {table},
            # GET /wall/photos (tests/infra/test_wall_and_seed_compat.py)
            "dynamodb:Query": {f"{table}/index/wall"},
            "dynamodb:BatchGetItem": {table},
            # A pad's own id and the execution's ARN need the booth key (src/photobooth/api.py Caller).
            "secretsmanager:GetSecretValue": {f"<{synth.one('AWS::SecretsManager::Secret')[0]}>"},
        },
        "DetectFace": {
            "s3:GetObject": {photo},
            # Without it HeadObject of an erased upload answers 403 and PhotoMissing never happens on AWS.
            "s3:ListBucket": {bucket},
            "s3:PutObject": {work},
            "rekognition:DetectFaces": {"*"},
            "rekognition:DetectLabels": {"*"},
            "rekognition:DetectModerationLabels": {"*"},
        },
        "Segment": segment,
        "Generate": {
            "s3:GetObject": {work, photo},
            "rekognition:DetectModerationLabels": {"*"},
            "s3:PutObject": {generated},
            "bedrock:InvokeModel": set(),  # checked on its own below
            **{action: {"*"} for action in MARKETPLACE},  # conditions checked below
            "dynamodb:UpdateItem": {table},
        },
        "Finalize": {
            "dynamodb:UpdateItem": {table},
            "dynamodb:GetItem": {table},
            "dynamodb:DeleteItem": {table},
            "s3:ListBucket": {bucket},
            "s3:GetObject": {generated},
            "s3:PutObject": {wall},
            "s3:DeleteObject": {photo, work, generated, wall},
        },
        "ExecutionEnded": {"dynamodb:GetItem": {table}, "dynamodb:UpdateItem": {table}},
    }


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_function_gets_only_what_it_uses(full: Synth, name: str) -> None:
    granted = permissions(full, function_role_id(full, f"Functions{name}Function"))
    expected = expected_permissions(full, sam=True)[name]
    if name == "Generate":
        granted.pop("bedrock:InvokeModel")
        expected.pop("bedrock:InvokeModel")
    assert granted == expected


def test_list_bucket_is_limited_to_the_request_prefixes(full: Synth) -> None:
    conditions = {}
    for name in ("Presign", "Status", "DetectFace"):
        for statement in role_statements(full, function_role_id(full, f"Functions{name}Function")):
            if statement["Action"] == "s3:ListBucket":
                conditions[name] = statement["Condition"]
    assert conditions == {
        "Presign": {"StringLike": {"s3:prefix": ["photo/*"]}},
        "DetectFace": {"StringLike": {"s3:prefix": ["photo/*"]}},
        "Status": {"StringLike": {"s3:prefix": ["photo/*", "work/*", "generated/*", "wall/*"]}},
    }


FM = "arn:<AWS::Partition>:bedrock:{}::foundation-model/{}"
PROFILE = "arn:<AWS::Partition>:bedrock:{}:<AWS::AccountId>:inference-profile/{}"
INPAINT = "stability.stable-image-inpaint-v1:0"
# The US Stability profiles route to these regions (Amazon Bedrock user guide, "Supported Regions and models for
# inference profiles", https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html).
US_PROFILE_DESTINATIONS = ("us-east-1", "us-east-2", "us-west-2")


def test_bedrock_allows_each_model_and_every_region_its_inference_profile_routes_to(full: Synth) -> None:
    """The profile ARN where the function calls (bedrock_regions), the foundation model wherever the profile may
    run the request; a plain model only where it is called (Amazon Bedrock user guide, "Prerequisites for
    inference profiles", https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html)."""
    granted = permissions(full, function_role_id(full, "FunctionsGenerateFunction"))["bedrock:InvokeModel"]
    upscale = "stability.stable-fast-upscale-v1:0"  # upscaler "bedrock": the upscale model's profile too
    assert granted == (
        {PROFILE.format(r, f"us.{model}") for r in ("us-west-2", "us-east-1") for model in (INPAINT, upscale)}
        | {FM.format(r, model) for r in US_PROFILE_DESTINATIONS for model in (INPAINT, upscale)}
        | {FM.format(r, "amazon.nova-canvas-v1:0") for r in ("us-west-2", "us-east-1")}
    )


def test_default_models_are_allowed_through_the_profile_in_every_destination_region(default: Synth) -> None:
    granted = permissions(default, function_role_id(default, "FunctionsGenerateFunction"))["bedrock:InvokeModel"]
    assert granted == (
        {PROFILE.format("<AWS::Region>", f"us.{INPAINT}")}
        | {FM.format(r, INPAINT) for r in US_PROFILE_DESTINATIONS}
        | {FM.format("<AWS::Region>", m) for m in ("amazon.titan-image-generator-v2:0", "amazon.nova-canvas-v1:0")}
    )


def _marketplace_statements(synth: Synth) -> dict[str, dict]:
    statements = role_statements(synth, function_role_id(synth, "FunctionsGenerateFunction"))
    return {s["Sid"]: s for s in statements if any(a.startswith("aws-marketplace:") for a in as_list(s["Action"]))}


def test_generate_may_subscribe_to_the_configured_marketplace_products_only(full: Synth) -> None:
    """Bedrock subscribes the account to a Marketplace model (Stability) on its first invocation, with the caller's
    permissions (Amazon Bedrock user guide, "Access Amazon Bedrock foundation models",
    https://docs.aws.amazon.com/bedrock/latest/userguide/model-access.html): without them the first call answers
    AccessDeniedException. The operator's product ids narrow Subscribe/Unsubscribe."""
    statements = _marketplace_statements(full)
    assert statements["SubscribeToModelsOnFirstUse"]["Action"] == [
        "aws-marketplace:Subscribe",
        "aws-marketplace:Unsubscribe",
    ]
    assert statements["SubscribeToModelsOnFirstUse"]["Condition"] == {
        "ForAnyValue:StringEquals": {"aws-marketplace:ProductId": [PRODUCT_ID]}
    }
    assert statements["ViewModelSubscriptions"]["Action"] == "aws-marketplace:ViewSubscriptions"
    assert "Condition" not in statements["ViewModelSubscriptions"]


def test_without_product_ids_the_subscription_is_not_limited_to_a_product(default: Synth) -> None:
    statements = _marketplace_statements(default)
    assert set(statements) == {"SubscribeToModelsOnFirstUse", "ViewModelSubscriptions"}
    assert all("Condition" not in statement for statement in statements.values())
    others = [n for n in FUNCTIONS if n != "Generate"]
    for name in others:
        granted = permissions(default, function_role_id(default, f"Functions{name}Function"))
        assert not [a for a in granted if a.startswith("aws-marketplace:")], name


def test_no_wildcard_actions_and_nothing_but_presign_writes_originals(full: Synth) -> None:
    bucket = ids(full)["bucket"]
    for name in FUNCTIONS:
        for statement in role_statements(full, function_role_id(full, f"Functions{name}Function")):
            actions = as_list(statement["Action"])
            assert not [a for a in actions if "*" in a], (name, actions)
            resources = {render(r) for r in as_list(statement["Resource"])}
            if "s3:PutObject" in actions and name != "Presign":
                assert f"<{bucket}.Arn>/photo/*" not in resources, name


def test_workflow_role_invokes_the_four_workflow_functions_and_reads_and_updates_the_table(full: Synth) -> None:
    i = ids(full)
    role_id = full.one("AWS::StepFunctions::StateMachine")[1]["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    granted = permissions(full, role_id)
    assert granted == {
        "lambda:InvokeFunction": {
            f"<{live_alias_id(full, n)}>" for n in ("DetectFace", "Segment", "Generate", "Finalize")
        },
        "dynamodb:UpdateItem": {f"<{i['table']}.Arn>"},
        "dynamodb:GetItem": {f"<{i['table']}.Arn>"},
    }


def test_default_deployment_has_no_sagemaker_access(default: Synth) -> None:
    granted = permissions(default, function_role_id(default, "FunctionsSegmentFunction"))
    assert granted == expected_permissions(default, sam=False)["Segment"]


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
            skip=("xray:", "s3:", "dynamodb:", "states:", "bedrock:", "aws-marketplace:", "rekognition:"),
        )
        assert logs == {"logs:CreateLogStream": {f"<{log_group}.Arn>"}, "logs:PutLogEvents": {f"<{log_group}.Arn>"}}
