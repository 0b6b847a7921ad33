"""Kiosk settings on AWS (issue 23 item 8, issue 18 defect 6): the deployed config.js carries only keys the page
reads and never the kiosk PIN; the API checks the PIN against a hash, behind the booth key."""

from __future__ import annotations

import json

import pytest
from photobooth_infra import constants
from photobooth_infra.config import DeploymentConfig
from photobooth_infra.delivery import booth_page_config
from pydantic import ValidationError

from photobooth import kiosk
from tests.infra.conftest import FULL_KIOSK_PIN, Synth, function_role_id, role_statements


@pytest.mark.parametrize(
    ("booth_page", "named"),
    [
        ({"kiosPin": "2468"}, "kiosPin"),  # a typo
        ({"idleResetSeconds": 30}, "idleResetSeconds"),  # a key the page never reads
        ({"kioskPin": "2468"}, "kiosk_pin"),  # the PIN would be public in config.js
        ({"retentionDays": 30}, "retention_days"),  # the consent text must say what the bucket does
        ({"timeouts": {"reviw": 30}}, "reviw"),
        ({"logoUrl": "https://elsewhere.example/logo.png"}, "logoUrl"),
    ],
)
def test_booth_page_refuses_what_the_page_would_not_use(booth_page: dict, named: str) -> None:
    with pytest.raises(ValidationError) as refused:
        DeploymentConfig(booth_page=booth_page)
    assert named in str(refused.value)


def test_booth_page_takes_the_page_keys_and_a_relative_logo() -> None:
    config = DeploymentConfig(
        booth_page={
            "countdownSeconds": 5,
            "title": "Gala 2026",
            "logoUrl": "/icons/icon-192.png",
            "timeouts": {"results": 90},
            "defaultLanguage": "ko",
        }
    )
    text = booth_page_config(config, api_base="https://d123.cloudfront.net")
    written = json.loads(text.split("=", 1)[1].strip().rstrip(";"))
    assert written["logoUrl"] == "/icons/icon-192.png" and written["title"] == "Gala 2026"
    assert written["timeouts"] == {"results": 90}  # the page's defaults keep the other screens' timeouts


@pytest.mark.parametrize("pin", ["12", "12a4", "1" * 33])
def test_a_kiosk_pin_is_4_to_32_digits(pin: str) -> None:
    with pytest.raises(ValidationError, match="kiosk_pin"):
        DeploymentConfig(kiosk_pin=pin)


@pytest.mark.slow
def test_the_pin_is_deployed_only_as_a_hash_to_the_status_function(full: Synth) -> None:
    assert FULL_KIOSK_PIN not in json.dumps(full.template)
    _, deployment = full.one("Custom::CDKBucketDeployment")
    assert "kioskPin" not in json.dumps(deployment)
    functions = {k: v for k, v in full.resources("AWS::Lambda::Function").items()}
    hashes = {
        name: f["Properties"]["Environment"]["Variables"]["PHOTOBOOTH_KIOSK_PIN_HASH"]
        for name, f in functions.items()
        if "PHOTOBOOTH_KIOSK_PIN_HASH" in f["Properties"].get("Environment", {}).get("Variables", {})
    }
    assert list(hashes) and all(name.startswith("FunctionsStatus") for name in hashes), list(hashes)
    (stored,) = hashes.values()
    assert kiosk.pin_matches(FULL_KIOSK_PIN, stored_hash=stored)
    assert not kiosk.pin_matches("000000", stored_hash=stored)


@pytest.mark.slow
def test_unlocking_needs_the_booth_key_and_reaches_the_api_through_cloudfront(full: Synth) -> None:
    found = full.resources("AWS::ApiGatewayV2::Route").values()
    routes = {r["Properties"]["RouteKey"]: r["Properties"] for r in found}
    assert routes["POST /kiosk/unlock"]["AuthorizationType"] == "CUSTOM"
    _, distribution = full.one("AWS::CloudFront::Distribution")
    patterns = [b["PathPattern"] for b in distribution["Properties"]["DistributionConfig"]["CacheBehaviors"]]
    assert "/kiosk/*" in patterns
    assert ("POST", "/kiosk/unlock") not in constants.VISITOR_ROUTES


@pytest.mark.slow
def test_the_status_function_may_update_only_the_attempts_item(full: Synth) -> None:
    # dynamodb:LeadingKeys limits item access to the listed partition key values; ForAllValues:StringEquals makes
    # every key of a request match ("Using IAM policy conditions for fine-grained access control",
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html).
    statements = role_statements(full, function_role_id(full, "FunctionsStatus"))
    updates = [s for s in statements if "dynamodb:UpdateItem" in s["Action"]]
    assert updates and all(
        s["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [kiosk.ATTEMPTS_KEY]}}
        for s in updates
    )
