"""The event wall's copies (``wall/{wallId}/{i}.jpeg``, src/photobooth/wall.py) in the template: finalize may read
the results and write the copies, erasure (the status function) may find and delete them, the wall's presigned
URLs work, and the bucket expires the copies as it expires the results they copy."""

from __future__ import annotations

import pytest
from aws_cdk import Validations
from photobooth_infra import constants

from photobooth import naming
from tests.infra.conftest import FULL_CONFIG, Synth, as_list, function_role_id, permissions, role_statements

pytestmark = pytest.mark.slow

WALL_OBJECTS = "/wall/*"


def _bucket_arn(synth: Synth) -> str:
    return f"<{synth.one('AWS::S3::Bucket', 'StorageData')[0]}.Arn>"


def _wall_actions(synth: Synth, function: str) -> set[str]:
    granted = permissions(synth, function_role_id(synth, f"Functions{function}Function"))
    wall = _bucket_arn(synth) + WALL_OBJECTS
    return {action for action, resources in granted.items() if wall in resources}


def _listed_prefixes(synth: Synth, function: str) -> list[str]:
    statements = role_statements(synth, function_role_id(synth, f"Functions{function}Function"))
    (listing,) = [s for s in statements if "s3:ListBucket" in as_list(s["Action"])]
    return listing["Condition"]["StringLike"]["s3:prefix"]


def test_the_infra_and_the_code_agree_on_the_wall_prefix() -> None:
    assert constants.WALL_PREFIX == naming.WALL_PREFIX == "wall/"


def test_the_data_bucket_expires_wall_copies_with_the_results(full: Synth) -> None:
    _, bucket = full.one("AWS::S3::Bucket", "StorageData")
    rules = {rule["Id"]: rule for rule in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-wall-copies"]["Prefix"] == "wall/"
    assert rules["expire-wall-copies"]["Status"] == "Enabled"
    expected_days = FULL_CONFIG.generated_retention_days
    assert rules["expire-wall-copies"]["ExpirationInDays"] == rules["expire-generated"]["ExpirationInDays"]
    assert rules["expire-wall-copies"]["ExpirationInDays"] == expected_days


def test_finalize_reads_results_writes_wall_copies_and_removes_them_after_an_erasure(full: Synth) -> None:
    granted = permissions(full, function_role_id(full, "FunctionsFinalizeFunction"))
    bucket = _bucket_arn(full)
    assert granted["s3:GetObject"] == {f"{bucket}/generated/*"}, "it reads results, never originals"
    assert granted["s3:PutObject"] == {f"{bucket}{WALL_OBJECTS}"}, "it writes the wall's copies and nothing else"
    assert _wall_actions(full, "Finalize") == {"s3:PutObject", "s3:DeleteObject"}
    assert "wall/*" in _listed_prefixes(full, "Finalize")


def test_erasure_may_find_and_delete_wall_copies_and_the_wall_may_presign_them(full: Synth) -> None:
    # A presigned URL acts with its signer's permissions: the status function must be allowed to GET what it signs.
    assert _wall_actions(full, "Status") == {"s3:GetObject", "s3:DeleteObject"}
    assert "wall/*" in _listed_prefixes(full, "Status")


@pytest.mark.parametrize("function", ["Presign", "DetectFace", "Segment", "Generate", "ExecutionEnded"])
def test_no_other_function_touches_the_wall_copies(full: Synth, function: str) -> None:
    assert _wall_actions(full, function) == set()


def test_the_wall_prefix_wildcard_is_acknowledged_with_its_own_reason(full: Synth) -> None:
    reasons = [
        reason
        for construct in full.stack.node.find_all()
        for entry in construct.node.metadata
        if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY
        for rule, reason in entry.data.items()
        if "AwsSolutions-IAM5[" in rule and rule.endswith(f"{WALL_OBJECTS}]")
    ]
    assert len(reasons) == 2, "finalize's and the status function's policies"
    assert all("wall/{wallId}/" in reason for reason in reasons)
