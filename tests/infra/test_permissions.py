"""What the permission check (tests/infra/test_iam_check.py) does not see: ListBucket's prefixes, model ARNs per
region, Marketplace conditions, no wildcard actions, the authorizer and the log groups."""

from __future__ import annotations

import pytest

from tests.infra.conftest import PRODUCT_ID, Synth, as_list, function_role_id, permissions, render, role_statements

pytestmark = pytest.mark.slow

FUNCTIONS = ("Presign", "Status", "DetectFace", "Segment", "Generate", "Finalize", "ExecutionEnded")
# FULL_CONFIG names a product id: Subscribe limited to it stays (the doctor subscribes otherwise), never Unsubscribe.
MARKETPLACE = ("aws-marketplace:Subscribe", "aws-marketplace:ViewSubscriptions")


def ids(synth: Synth) -> dict[str, str]:
    return {
        "bucket": synth.one("AWS::S3::Bucket", "StorageData")[0],
        "table": synth.one("AWS::DynamoDB::Table", "StorageStatus")[0],
        "state_machine": synth.one("AWS::StepFunctions::StateMachine")[0],
        **{name: synth.one("AWS::Lambda::Function", f"Functions{name}Function")[0] for name in FUNCTIONS},
    }


# What each role may do is checked against the calls its code makes (tests/infra/test_iam_check.py: every recorded
# call allowed, every granted action called or given its reason), not against a list copied here by hand.


def test_list_bucket_is_limited_to_the_request_prefixes(full: Synth) -> None:
    conditions = {}
    for name in ("Status", "DetectFace", "Finalize"):
        for statement in role_statements(full, function_role_id(full, f"Functions{name}Function")):
            if statement["Action"] == "s3:ListBucket":
                conditions[name] = statement["Condition"]
    assert conditions == {
        "DetectFace": {"StringLike": {"s3:prefix": ["photo/*"]}},
        "Status": {"StringLike": {"s3:prefix": ["photo/*", "work/*", "generated/*", "wall/*"]}},
        "Finalize": {"StringLike": {"s3:prefix": ["photo/*", "work/*", "generated/*", "wall/*"]}},
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
        | {FM.format("<AWS::Region>", "stability.stable-image-core-v1:1")}
    )


def _marketplace_statements(synth: Synth) -> dict[str, dict]:
    statements = role_statements(synth, function_role_id(synth, "FunctionsGenerateFunction"))
    return {s["Sid"]: s for s in statements if any(a.startswith("aws-marketplace:") for a in as_list(s["Action"]))}


def test_generate_may_subscribe_to_the_configured_marketplace_products_only(full: Synth) -> None:
    """The doctor makes the first subscription (tests/infra/test_model_grants.py); with the operator's product ids
    the role may still subscribe to those products, never unsubscribe."""
    statements = _marketplace_statements(full)
    assert statements["SubscribeToNamedModels"]["Action"] == "aws-marketplace:Subscribe"
    assert statements["SubscribeToNamedModels"]["Condition"] == {
        "ForAnyValue:StringEquals": {"aws-marketplace:ProductId": [PRODUCT_ID]}
    }
    assert statements["ViewModelSubscriptions"]["Action"] == "aws-marketplace:ViewSubscriptions"
    assert "Condition" not in statements["ViewModelSubscriptions"]


def test_without_product_ids_the_role_may_only_view_subscriptions(default: Synth) -> None:
    statements = _marketplace_statements(default)
    assert set(statements) == {"ViewModelSubscriptions"}
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
