"""The generate role's Bedrock and Marketplace grants for the default models (issue 21 section 2, issue 17 item 7).

- The default fallback, Stable Image Core, is a plain on-demand model: ``bedrock:InvokeModel`` on its
  foundation-model ARN in the region the function calls; the end-of-life Titan v2 and Nova Canvas are granted only
  when an operator lists them.
- The first invocation of a model sold through AWS Marketplace subscribes the account, with the caller's
  permissions (Amazon Bedrock user guide, "Access Amazon Bedrock foundation models",
  https://docs.aws.amazon.com/bedrock/latest/userguide/model-access.html). ``photobooth doctor`` makes that
  subscription with the operator's credentials, so the role keeps ``aws-marketplace:ViewSubscriptions`` (Bedrock
  checks the subscription on each call) and, only when the operator names the products, ``Subscribe`` limited to
  them by ``aws-marketplace:ProductId`` ("Use product ID condition keys to control access",
  https://docs.aws.amazon.com/bedrock/latest/userguide/model-access-product-ids.html). Never ``Unsubscribe``.
"""

from __future__ import annotations

import pytest

from tests.infra.conftest import PRODUCT_ID, Synth, as_list, function_role_id, permissions, role_statements

pytestmark = pytest.mark.slow

CORE = "stability.stable-image-core-v1:1"
FM = "arn:<AWS::Partition>:bedrock:{}::foundation-model/{}"


def _generate_grants(synth: Synth) -> dict[str, set[str]]:
    return permissions(synth, function_role_id(synth, "FunctionsGenerateFunction"))


def _marketplace(synth: Synth) -> list[dict]:
    statements = role_statements(synth, function_role_id(synth, "FunctionsGenerateFunction"))
    return [s for s in statements if any(a.startswith("aws-marketplace:") for a in as_list(s["Action"]))]


def test_the_default_fallback_is_granted_and_the_end_of_life_models_are_not(default: Synth) -> None:
    granted = _generate_grants(default)["bedrock:InvokeModel"]

    assert FM.format("<AWS::Region>", CORE) in granted
    assert not [arn for arn in granted if "titan-image-generator" in arn or "nova-canvas" in arn]


def test_without_product_ids_the_role_may_only_view_subscriptions(default: Synth) -> None:
    statements = _marketplace(default)

    assert [as_list(s["Action"]) for s in statements] == [["aws-marketplace:ViewSubscriptions"]]
    assert "Condition" not in statements[0]


def test_with_product_ids_the_role_may_subscribe_to_those_products_only_and_never_unsubscribe(full: Synth) -> None:
    statements = _marketplace(full)
    actions = {a for s in statements for a in as_list(s["Action"])}

    assert actions == {"aws-marketplace:ViewSubscriptions", "aws-marketplace:Subscribe"}
    (subscribe,) = [s for s in statements if "aws-marketplace:Subscribe" in as_list(s["Action"])]
    assert subscribe["Condition"] == {"ForAnyValue:StringEquals": {"aws-marketplace:ProductId": [PRODUCT_ID]}}
