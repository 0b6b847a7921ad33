"""The event wall on AWS (issue 10) and the seed's pads (issue 12) in the template.

The wall: the status table's sparse index as photobooth.wall defines it, `GET /wall/photos` open to the big screen
and sent there by CloudFront, `/wall` served from web/wall.html, and the status function allowed to query that one
index and batch-read the table. The seed: the upload envelope and POST /photo's wait reach presign, whose timeout
covers the wait inside API Gateway's integration limit.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from fnmatch import fnmatchcase

import pytest
from photobooth_infra import constants
from photobooth_infra.config import DeploymentConfig, SamEndpointConfig, ThrottleConfig
from photobooth_infra.delivery import page_alias_code
from photobooth_infra.functions import presign_environment

from photobooth import api, kiosk, wall
from photobooth.config import Settings
from tests.infra.conftest import FULL_CONFIG, REPO_ROOT, Synth, as_list, function_role_id, permissions, render

WALL_ROUTE = "GET /wall/photos"
PRESIGN_ONLY = {"PHOTOBOOTH_SEED_COMPAT_ENVELOPE", "PHOTOBOOTH_PHOTO_WAIT_SECONDS"}
FUNCTIONS = ("Presign", "Status", "DetectFace", "Segment", "Generate", "Finalize", "ExecutionEnded")


def _live_alias(synth: Synth, function_id: str) -> str:
    """The logical id of the function's ``live`` alias: what every caller invokes (issue 21, SnapStart)."""
    (alias,) = [
        alias_id
        for alias_id, alias in synth.resources("AWS::Lambda::Alias").items()
        if alias["Properties"]["FunctionName"] == {"Ref": function_id}
        and alias["Properties"]["Name"] == constants.LIVE_ALIAS
    ]
    return alias


def _environment(synth: Synth, name: str) -> dict[str, str]:
    _, function = synth.one("AWS::Lambda::Function", f"Functions{name}Function")
    return function["Properties"]["Environment"]["Variables"]


# --- the sparse index -------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_status_table_has_the_wall_index_of_photobooth_wall(full: Synth) -> None:
    _, table = full.one("AWS::DynamoDB::Table", "StorageStatus")
    props = table["Properties"]
    (index,) = props["GlobalSecondaryIndexes"]
    assert index == wall.WALL_INDEX_DEFINITION  # name, partition + sort key, KEYS_ONLY; on-demand: no throughput
    assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert index["KeySchema"] == [
        {"AttributeName": wall.WALL_PARTITION_ATTRIBUTE, "KeyType": "HASH"},
        {"AttributeName": wall.WALL_SORT_ATTRIBUTE, "KeyType": "RANGE"},
    ]
    # Both keys are strings: the partition is the constant "wall", the sort key an ISO timestamp (sorts as text).
    types = {d["AttributeName"]: d["AttributeType"] for d in props["AttributeDefinitions"]}
    assert types == {"requestId": "S", wall.WALL_PARTITION_ATTRIBUTE: "S", wall.WALL_SORT_ATTRIBUTE: "S"}
    assert props["BillingMode"] == "PAY_PER_REQUEST"


# --- the route --------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_wall_photos_is_an_open_route_to_the_status_function(full: Synth) -> None:
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"] for r in full.resources("AWS::ApiGatewayV2::Route").values()
    }
    route = routes[WALL_ROUTE]
    # The big screen has no booth key; what it may see is limited by the index, not by the key.
    assert route.get("AuthorizationType", "NONE") == "NONE"
    assert "AuthorizerId" not in route
    integration_id = route["Target"]["Fn::Join"][1][1]["Ref"]
    integration = full.resources("AWS::ApiGatewayV2::Integration")[integration_id]["Properties"]
    status = full.one("AWS::Lambda::Function", "FunctionsStatusFunction")[0]
    assert integration["IntegrationUri"] == {"Ref": _live_alias(full, status)}
    assert integration["PayloadFormatVersion"] == "2.0"
    # Starting work still needs the key.
    assert routes["POST /photo"]["AuthorizationType"] == "CUSTOM"


def test_wall_route_is_in_the_route_tables() -> None:
    assert ("GET", "/wall/photos", constants.STATUS) in constants.API_ROUTES
    assert ("GET", "/wall/photos") in constants.VISITOR_ROUTES
    # every open route says why (it becomes the cdk-nag APIG4 acknowledgment)
    assert all(len(reason.split()) >= 6 for reason in constants.VISITOR_ROUTES.values())
    assert set(constants.VISITOR_ROUTES) <= {(method, path) for method, path, _ in constants.API_ROUTES}


# --- CloudFront: the API path and the page ----------------------------------------------------------------------


def _cloudfront_matches(pattern: str, path: str) -> bool:
    """CloudFront path patterns: ``*`` is any run of characters, ``?`` one, case-sensitive; the leading ``/`` is
    optional in the pattern."""
    return fnmatchcase(path.lstrip("/"), pattern.lstrip("/"))


@pytest.mark.slow
def test_cloudfront_sends_wall_photos_to_the_api_and_the_wall_page_to_the_site(full: Synth) -> None:
    _, distribution = full.one("AWS::CloudFront::Distribution")
    config = distribution["Properties"]["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]}
    behaviors = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    api_id = full.one("AWS::ApiGatewayV2::Api")[0]

    behavior = behaviors["/wall/photos"]
    assert render(origins[behavior["TargetOriginId"]]["DomainName"]).startswith(f"<{api_id}>.execute-api.")
    assert behavior["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled: always fresh
    # The first matching pattern wins (in order); /wall/photos matches no earlier one.
    first = next(p for p in behaviors if _cloudfront_matches(p, "/wall/photos"))
    assert first == "/wall/photos"
    # The page and its files are the site bucket's (the default behaviour), not the API's.
    for path in ("/wall", "/wall.html", "/js/wall.js", "/styles.css"):
        assert not any(_cloudfront_matches(p, path) for p in behaviors), path


@pytest.mark.slow
def test_the_site_behaviour_rewrites_wall_to_wall_html_at_viewer_request(full: Synth) -> None:
    function_id, function = full.one("AWS::CloudFront::Function")
    props = function["Properties"]
    assert props["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert props["AutoPublish"] is True  # the distribution uses the LIVE stage
    assert props["FunctionCode"] == page_alias_code(constants.PAGE_ALIASES)
    _, distribution = full.one("AWS::CloudFront::Distribution")
    config = distribution["Properties"]["DistributionConfig"]
    assert config["DefaultCacheBehavior"]["FunctionAssociations"] == [
        {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": [function_id, "FunctionARN"]}}
    ]
    # Only the site serves pages: no API or results behaviour runs the rewrite.
    assert all("FunctionAssociations" not in b for b in config["CacheBehaviors"])


def _run_viewer_request(code: str, uri: str) -> str:
    """The function's handler run by Node on a viewer-request event of CloudFront's shape (uri, querystring ...).
    Node is not CloudFront's runtime, but the code uses only what JavaScript runtime 2.0 documents (var, objects)."""
    event = {"version": "1.0", "context": {"eventType": "viewer-request"}, "viewer": {"ip": "192.0.2.1"}}
    event["request"] = {"method": "GET", "uri": uri, "querystring": {}, "headers": {}, "cookies": {}}
    script = f"{code}\nprocess.stdout.write(JSON.stringify(handler({json.dumps(event)})));"
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["method"] == "GET" and "headers" in answer  # the request goes on, it is not answered here
    return answer["uri"]


def test_the_rewrite_serves_wall_html_for_wall_and_leaves_every_other_path() -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the rewrite is run by Node.js")
    code = page_alias_code(constants.PAGE_ALIASES)
    assert _run_viewer_request(code, "/wall") == "/wall.html"
    for uri in ("/", "/index.html", "/wall.html", "/wall/", "/wall/photos", "/js/wall.js", "/Wall", "/constructor"):
        assert _run_viewer_request(code, uri) == uri
    for target in constants.PAGE_ALIASES.values():
        assert (constants.WEB_DIR / target.lstrip("/")).is_file(), target


# --- the status function's role ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_status_may_query_the_wall_index_and_batch_read_the_table_and_nothing_wider(full: Synth) -> None:
    table = full.one("AWS::DynamoDB::Table", "StorageStatus")[0]
    granted = permissions(full, function_role_id(full, "FunctionsStatusFunction"))
    # src/photobooth/aws/dynamodb.py list_wall: Query(IndexName="wall"), then BatchGetItem on the table.
    assert granted["dynamodb:Query"] == {f"<{table}.Arn>/index/{wall.WALL_INDEX}"}
    assert granted["dynamodb:BatchGetItem"] == {f"<{table}.Arn>"}
    assert "dynamodb:Scan" not in granted
    for name in FUNCTIONS:
        if name == "Status":
            continue
        others = permissions(full, function_role_id(full, f"Functions{name}Function"))
        assert not {"dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:Scan"} & set(others), name


@pytest.mark.slow
def test_no_role_may_read_the_table_or_its_indexes_by_wildcard(full: Synth) -> None:
    for policy in full.resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            for resource in as_list(statement["Resource"]):
                text = str(render(resource))
                assert not re.search(r"StorageStatus\w*\.Arn>/index/\*", text), text


# --- the seed's pads: environment and timeouts ------------------------------------------------------------------


@pytest.mark.slow
def test_presign_gets_the_envelope_and_the_wait_and_no_other_function_does(full: Synth, default: Synth) -> None:
    assert FULL_CONFIG.seed_compat_envelope and FULL_CONFIG.photo_wait_seconds == 20
    assert {k: _environment(full, "Presign")[k] for k in PRESIGN_ONLY} == {
        "PHOTOBOOTH_SEED_COMPAT_ENVELOPE": "true",
        "PHOTOBOOTH_PHOTO_WAIT_SECONDS": "20",
    }
    assert {k: _environment(default, "Presign")[k] for k in PRESIGN_ONLY} == {
        "PHOTOBOOTH_SEED_COMPAT_ENVELOPE": "false",
        "PHOTOBOOTH_PHOTO_WAIT_SECONDS": "20",
    }
    for name in FUNCTIONS[1:]:
        assert not PRESIGN_ONLY & set(_environment(full, name)), name


@pytest.mark.slow
@pytest.mark.parametrize("which", ["full", "default"])
def test_presign_timeout_covers_the_wait_inside_the_integration_timeout(which: str, request) -> None:
    synth: Synth = request.getfixturevalue(which)
    presign_id, presign = synth.one("AWS::Lambda::Function", "FunctionsPresignFunction")
    props = presign["Properties"]
    wait = float(props["Environment"]["Variables"]["PHOTOBOOTH_PHOTO_WAIT_SECONDS"])
    # The routes invoke presign's live alias; an alias runs its version with the function's Timeout and memory.
    (integration_id,) = [
        logical_id
        for logical_id, i in synth.resources("AWS::ApiGatewayV2::Integration").items()
        if i["Properties"]["IntegrationUri"] == {"Ref": _live_alias(synth, presign_id)}
    ]
    integration = synth.template["Resources"][integration_id]["Properties"]
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"] for r in synth.resources("AWS::ApiGatewayV2::Route").values()
    }
    assert routes["POST /photo"]["Target"] == {"Fn::Join": ["", ["integrations/", {"Ref": integration_id}]]}
    # HTTP APIs allow an integration 50 ms to 30 s, 30 s when unset (AWS::ApiGatewayV2::Integration TimeoutInMillis,
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigatewayv2-integration.html).
    integration_seconds = integration.get("TimeoutInMillis", 30_000) / 1000
    assert integration_seconds == constants.API_INTEGRATION_TIMEOUT.to_seconds() == 30
    # The wait, and the answer built after it, end before the client is cut off and before Lambda stops. API
    # Gateway's 30 s count from the request's arrival, before the authorizer and the function start, so they end
    # first; what a cold authorizer or a SnapStart restore took is taken off the wait at run time
    # (photobooth.api.photo_wait_budget, from requestContext.timeEpoch).
    assert wait + constants.PHOTO_WAIT_MARGIN_SECONDS <= integration_seconds
    assert wait + constants.PHOTO_WAIT_MARGIN_SECONDS <= props["Timeout"] <= 30
    # A waiting Lambda is billed by the GB-second: presign stays small.
    assert props["MemorySize"] <= 256


def test_the_longest_wait_an_operator_may_set_still_fits() -> None:
    longest = DeploymentConfig(photo_wait_seconds=27)
    assert longest.photo_wait_seconds + constants.PHOTO_WAIT_MARGIN_SECONDS <= 30
    assert constants.PRESIGN.timeout.to_seconds() <= constants.API_INTEGRATION_TIMEOUT.to_seconds() <= 30
    with pytest.raises(ValueError, match="less than or equal to 27"):
        DeploymentConfig(photo_wait_seconds=27.5)
    with pytest.raises(ValueError):
        Settings(photo_wait_seconds=27.5)
    with pytest.raises(ValueError):
        DeploymentConfig(photo_wait_seconds=-1)
    # What an operator may set is what a warm call waits: the run-time budget (which keeps the answer's margin
    # before API Gateway's 30 s) does not cut the longest accepted wait short behind the operator's back.
    now_ms = 1_765_000_000_000
    budget = api.photo_wait_budget(
        longest.photo_wait_seconds, received_epoch_ms=now_ms, now_epoch_ms=now_ms, remaining_ms=30_000
    )
    assert budget == longest.photo_wait_seconds
    # Whatever the deployment accepts, the function's settings accept too (else presign fails on every call).
    for config in (longest, DeploymentConfig(photo_wait_seconds=0, seed_compat_envelope=True)):
        settings = Settings(
            **{k.removeprefix("PHOTOBOOTH_").lower(): v for k, v in presign_environment(config).items()}
        )
        assert settings.photo_wait_seconds == config.photo_wait_seconds
        assert settings.seed_compat_envelope is config.seed_compat_envelope


# --- every function's environment is the deployment's settings --------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("which", ["full", "default"])
def test_every_function_reads_the_deployment_settings_back(
    which: str, request, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each setting the deployment and the functions share (print size, moderation, the seed's options, ...)
    arrives with the operator's value, through photobooth.config.Settings as the function will read it."""
    synth: Synth = request.getfixturevalue(which)
    config: DeploymentConfig = synth.stack.config
    shared = sorted(set(DeploymentConfig.model_fields) & set(Settings.model_fields))
    assert {"output_long_side", "moderation_backend", "moderation_min_confidence", "moderation_categories"} <= set(
        shared
    )
    assert {"moderate_generated_images", "seed_compat_envelope", "photo_wait_seconds"} <= set(shared)
    for name in FUNCTIONS:
        with monkeypatch.context() as env:
            for key, value in render(_environment(synth, name)).items():
                env.setenv(key, str(value))
            settings = Settings()
        for field in shared:
            if name != "Presign" and f"PHOTOBOOTH_{field.upper()}" in PRESIGN_ONLY:
                continue
            if field == "kiosk_pin":  # deployed as its hash only, below
                continue
            assert getattr(settings, field) == getattr(config, field), (name, field)
        # The kiosk PIN never reaches a function (Settings.kiosk_pin is `photobooth serve`'s); the status function,
        # which answers POST /kiosk/unlock, gets its hash, and no other function anything of it.
        assert "kiosk_pin" in shared and settings.kiosk_pin is None, name
        assert settings.kiosk_pin_hash == (config.kiosk_pin_hash if name == "Status" else None), name
    if config.kiosk_pin is not None:
        assert config.kiosk_pin_hash and kiosk.pin_matches(
            config.kiosk_pin.get_secret_value(), stored_hash=config.kiosk_pin_hash
        )


def test_readme_configuration_table_lists_every_deployment_key() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Configuration keys", 1)[1].split("\n### ", 1)[0]
    listed = {
        key
        for row in section.splitlines()
        if row.startswith("| `")
        for key in re.findall(r"`([a-z_.]+)`", row.split("|")[1])
    }
    nested = {"sam": SamEndpointConfig, "throttle": ThrottleConfig}
    expected = {
        f"{name}.{sub}" if name in nested else name
        for name in DeploymentConfig.model_fields
        for sub in (nested[name].model_fields if name in nested else [""])
    }
    assert expected - listed == set(), "README's configuration table misses keys"
    assert listed - expected == set(), "README's configuration table names keys the deployment refuses"
