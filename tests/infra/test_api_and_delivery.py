"""The booth API (routes, booth-key authorizer, throttling) and CloudFront (OAC, API paths, booth page)."""

from __future__ import annotations

import pytest
from photobooth_infra.config import DeploymentConfig
from photobooth_infra.delivery import booth_page_config

from tests.infra.conftest import Synth, render

ROUTES = {
    "POST /upload",
    "POST /photo",
    "GET /photo/{requestId}",
    "DELETE /photo/{requestId}",
    "GET /themes",
    "GET /wall/photos",
    "POST /kiosk/unlock",  # the operator's PIN (tests/infra/test_kiosk_and_booth_page.py)
}


@pytest.mark.slow
def test_routes_are_the_contract_and_starting_work_needs_the_booth_key(full: Synth) -> None:
    authorizer_id, authorizer = full.one("AWS::ApiGatewayV2::Authorizer")
    routes = full.resources("AWS::ApiGatewayV2::Route").values()
    assert {r["Properties"]["RouteKey"] for r in routes} == ROUTES
    by_key = {r["Properties"]["RouteKey"]: r["Properties"] for r in routes}
    for key in ("POST /upload", "POST /photo", "POST /kiosk/unlock"):
        assert by_key[key]["AuthorizationType"] == "CUSTOM"
        assert by_key[key]["AuthorizerId"] == {"Ref": authorizer_id}
    for key in ("GET /photo/{requestId}", "DELETE /photo/{requestId}", "GET /themes", "GET /wall/photos"):
        # the visitor's phone follows the QR code without the booth key (the random requestId is the capability);
        # the event wall shows only opted-in results (tests/infra/test_wall_and_seed_compat.py)
        assert by_key[key].get("AuthorizationType", "NONE") == "NONE"
        assert "AuthorizerId" not in by_key[key]
    props = authorizer["Properties"]
    assert props["AuthorizerType"] == "REQUEST"
    assert props["IdentitySource"] == ["$request.header.x-booth-key"]
    assert props["EnableSimpleResponses"] is True
    assert props["AuthorizerPayloadFormatVersion"] == "2.0"
    assert props["AuthorizerResultTtlInSeconds"] == 300
    assert "ApiAuthorizerFunction" in render(props["AuthorizerUri"])


@pytest.mark.slow
def test_routes_reach_the_right_function_with_payload_v2(full: Synth) -> None:
    integrations = full.resources("AWS::ApiGatewayV2::Integration")
    target = {}
    for route in full.resources("AWS::ApiGatewayV2::Route").values():
        integration_id = route["Properties"]["Target"]["Fn::Join"][1][1]["Ref"]
        integration = integrations[integration_id]["Properties"]
        assert integration["PayloadFormatVersion"] == "2.0"
        assert integration["IntegrationType"] == "AWS_PROXY"
        target[route["Properties"]["RouteKey"]] = integration["IntegrationUri"]["Fn::GetAtt"][0]
    presign = full.one("AWS::Lambda::Function", "FunctionsPresignFunction")[0]
    status = full.one("AWS::Lambda::Function", "FunctionsStatusFunction")[0]
    assert target == {
        "POST /upload": presign,
        "POST /photo": presign,
        "GET /photo/{requestId}": status,
        "DELETE /photo/{requestId}": status,
        "GET /themes": status,
        "GET /wall/photos": status,
        "POST /kiosk/unlock": status,
    }


@pytest.mark.slow
def test_stage_throttles_and_logs_access(full: Synth) -> None:
    _, stage = full.one("AWS::ApiGatewayV2::Stage")
    props = stage["Properties"]
    assert props["StageName"] == "$default"
    assert props["AutoDeploy"] is True
    assert props["DefaultRouteSettings"] == {"ThrottlingBurstLimit": 40, "ThrottlingRateLimit": 20}
    assert "$context.status" in props["AccessLogSettings"]["Format"]
    assert props["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0].startswith("ApiAccessLogs")


@pytest.mark.slow
def test_api_cors_only_for_configured_extra_origins(full: Synth, default: Synth) -> None:
    ((_, api),) = full.resources("AWS::ApiGatewayV2::Api").items()
    assert api["Properties"]["CorsConfiguration"]["AllowOrigins"] == ["http://localhost:8000"]
    assert "x-booth-key" in api["Properties"]["CorsConfiguration"]["AllowHeaders"]
    ((_, default_api),) = default.resources("AWS::ApiGatewayV2::Api").items()
    assert "CorsConfiguration" not in default_api["Properties"]


@pytest.mark.slow
def test_cloudfront_reaches_both_buckets_through_origin_access_control(full: Synth) -> None:
    distribution_id, distribution = full.one("AWS::CloudFront::Distribution")
    config = distribution["Properties"]["DistributionConfig"]
    controls = full.resources("AWS::CloudFront::OriginAccessControl")
    assert len(controls) == 2
    for control in controls.values():
        assert control["Properties"]["OriginAccessControlConfig"] | {"Name": None} == {
            "Name": None,
            "OriginAccessControlOriginType": "s3",
            "SigningBehavior": "always",
            "SigningProtocol": "sigv4",
        }
    s3_origins = [o for o in config["Origins"] if "S3OriginConfig" in o]
    assert len(s3_origins) == 2
    for origin in s3_origins:
        assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy OAI
        assert origin["OriginAccessControlId"]["Fn::GetAtt"][0] in controls
    domains = {render(o["DomainName"]) for o in s3_origins}
    site_id = full.one("AWS::S3::Bucket", "DeliverySite")[0]
    assert domains == {
        f"<{site_id}.RegionalDomainName>",
        "photobooth-data-<AWS::AccountId>-<AWS::Region>.s3.<AWS::Region>.<AWS::URLSuffix>",
    }
    # The data bucket (whose name the origin above spells out) lets this distribution read generated/ only.
    data_id, data_bucket = full.one("AWS::S3::Bucket", "StorageData")
    assert render(data_bucket["Properties"]["BucketName"]) == "photobooth-data-<AWS::AccountId>-<AWS::Region>"
    _, policy = full.one("AWS::S3::BucketPolicy", "StorageData")
    (grant,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert grant["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert grant["Action"] == "s3:GetObject"
    assert render(grant["Resource"]) == f"<{data_id}.Arn>/generated/*"
    assert render(grant["Condition"]["StringEquals"]["AWS:SourceArn"]) == (
        f"arn:<AWS::Partition>:cloudfront::123456789012:distribution/<{distribution_id}>"
    )


@pytest.mark.slow
def test_cloudfront_paths_page_results_and_api(full: Synth) -> None:
    _, distribution = full.one("AWS::CloudFront::Distribution")
    config = distribution["Properties"]["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]}
    behaviors = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert set(behaviors) == {"generated/*", "/upload", "/photo*", "/themes", "/wall/photos", "/kiosk/*"}
    api_id = full.one("AWS::ApiGatewayV2::Api")[0]
    for pattern in ("/upload", "/photo*", "/themes", "/wall/photos", "/kiosk/*"):
        behavior = behaviors[pattern]
        origin = origins[behavior["TargetOriginId"]]
        assert render(origin["DomainName"]) == f"<{api_id}>.execute-api.eu-west-1.<AWS::URLSuffix>"
        assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
        assert "DELETE" in behavior["AllowedMethods"] and "POST" in behavior["AllowedMethods"]
        assert behavior["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled
        assert behavior["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # AllViewerExceptHost
    assert config["DefaultRootObject"] == "index.html"
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["Logging"]["Prefix"] == "cloudfront/"


@pytest.mark.slow
def test_booth_page_is_deployed_with_its_config_and_invalidated(full: Synth) -> None:
    _, deployment = full.one("Custom::CDKBucketDeployment")
    site_id = full.one("AWS::S3::Bucket", "DeliverySite")[0]
    distribution_id = full.one("AWS::CloudFront::Distribution")[0]
    props = deployment["Properties"]
    assert props["DestinationBucketName"] == {"Ref": site_id}
    assert props["DistributionId"] == {"Ref": distribution_id}
    assert props["DistributionPaths"] == ["/*"]
    assert len(props["SourceObjectKeys"]) == 2  # web/ and the generated config.js
    assert any("DomainName" in str(marker) for marker in props["SourceMarkers"])


def test_booth_page_config_names_the_api_and_keeps_page_defaults() -> None:
    config = DeploymentConfig(retention_days=3, generated_retention_days=3, booth_page={"countdownSeconds": 5})
    text = booth_page_config(config, api_base="https://d123.cloudfront.net")
    assert text.splitlines()[1].startswith("window.PHOTOBOOTH_CONFIG = {")
    assert '"apiBase": "https://d123.cloudfront.net"' in text
    assert '"retentionDays": 3' in text and '"countdownSeconds": 5' in text
    assert '"boothKeyRequired": true' in text


def test_the_readme_says_what_every_presigned_url_names(full: Synth, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's privacy notes: the data bucket's name carries the account id and region, and every presigned URL
    (results, originals, the QR codes' links) names the bucket."""
    from pathlib import Path

    from photobooth.aws.s3 import S3ObjectStore, regional_client

    _, data_bucket = full.one("AWS::S3::Bucket", "StorageData")
    assert render(data_bucket["Properties"]["BucketName"]) == "photobooth-data-<AWS::AccountId>-<AWS::Region>"
    for name, value in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}.items():
        monkeypatch.setenv(name, value)
    bucket = "photobooth-data-123456789012-eu-west-1"
    url = S3ObjectStore(bucket, client=regional_client("eu-west-1")).presign_get("generated/r/photo_p_1.jpeg", 3600)
    assert url.startswith(f"https://{bucket}.s3.eu-west-1.amazonaws.com/")
    notes = (Path(__file__).parents[2] / "README.md").read_text()
    assert "Every presigned URL names the bucket" in notes and "`{name_prefix}-data-{account id}-{region}`" in notes
