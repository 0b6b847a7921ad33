"""SnapStart on every function a visitor waits on, and every caller invoking the snapshotted version's alias.

AWS's rules these tests hold the template to (https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html):
SnapStart supports the Python 3.12 and later managed runtimes; it works only on published versions and aliases that
point at one, never on $LATEST; it does not support provisioned concurrency, Amazon EFS or ephemeral storage over
512 MB. A caller that invokes the function without the alias runs $LATEST, initialised from scratch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from photobooth_infra.app_factory import NAG_CONTEXT, build_app
from photobooth_infra.config import DeploymentConfig

from tests.infra.conftest import Synth, _synth, permissions, render

pytestmark = pytest.mark.slow

# The functions of docs/architecture.md and the booth-key authorizer every booth call passes first.
VISITOR_FACING = ("Presign", "Status", "DetectFace", "Segment", "Generate", "Finalize", "ExecutionEnded")
WORKFLOW = ("DetectFace", "Segment", "Generate", "Finalize")
EPHEMERAL_STORAGE_LIMIT_MB = 512
NO_NAG = {NAG_CONTEXT: "false"}  # the versions' ids are the point here; test_checks.py runs cdk-nag


def function_id(synth: Synth, name: str) -> str:
    prefix = "ApiAuthorizerFunction" if name == "Authorizer" else f"Functions{name}Function"
    return synth.one("AWS::Lambda::Function", prefix)[0]


def alias_of(synth: Synth, name: str) -> tuple[str, dict[str, Any]]:
    function = function_id(synth, name)
    found = [
        (k, v)
        for k, v in synth.resources("AWS::Lambda::Alias").items()
        if v["Properties"]["FunctionName"] == {"Ref": function}
    ]
    assert len(found) == 1, (name, found)
    return found[0]


@pytest.fixture(params=["full", "default"])
def synth(request: pytest.FixtureRequest) -> Synth:
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("name", [*VISITOR_FACING, "Authorizer"])
def test_snapstart_is_on_and_nothing_it_excludes_is_used(synth: Synth, name: str) -> None:
    props = synth.template["Resources"][function_id(synth, name)]["Properties"]
    assert props.get("SnapStart") == {"ApplyOn": "PublishedVersions"}
    runtime = props["Runtime"]
    assert runtime.startswith("python3.")
    assert int(runtime.removeprefix("python3.")) >= 12, runtime
    assert "FileSystemConfigs" not in props
    assert props.get("EphemeralStorage", {}).get("Size", EPHEMERAL_STORAGE_LIMIT_MB) <= EPHEMERAL_STORAGE_LIMIT_MB


def test_no_version_or_alias_has_provisioned_concurrency(synth: Synth) -> None:
    for type_ in ("AWS::Lambda::Alias", "AWS::Lambda::Version"):
        for logical_id, resource in synth.resources(type_).items():
            assert "ProvisionedConcurrencyConfig" not in resource["Properties"], logical_id


@pytest.mark.parametrize("name", [*VISITOR_FACING, "Authorizer"])
def test_the_live_alias_points_at_a_published_version_of_the_function(synth: Synth, name: str) -> None:
    _, alias = alias_of(synth, name)
    version_id, attribute = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"]
    version = synth.template["Resources"][version_id]
    assert attribute == "Version"
    assert version["Type"] == "AWS::Lambda::Version"
    assert version["Properties"]["FunctionName"] == {"Ref": function_id(synth, name)}
    assert alias["Properties"]["Name"] == "live"
    # A replaced version goes with the deployment that replaced it: its cached snapshot is billed while it exists.
    assert version["DeletionPolicy"] == "Delete"


@pytest.fixture(scope="module")
def without_snapstart(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth(tmp_path_factory.mktemp("no-snapstart"), DeploymentConfig(snap_start=False))


def test_an_operator_may_turn_snapstart_off_and_callers_still_invoke_the_alias(without_snapstart: Synth) -> None:
    for name in (*VISITOR_FACING, "Authorizer"):
        props = without_snapstart.template["Resources"][function_id(without_snapstart, name)]["Properties"]
        assert "SnapStart" not in props, name
    _, rule = without_snapstart.one("AWS::Events::Rule", "WorkflowExecutionEnded")
    assert [t["Arn"] for t in rule["Properties"]["Targets"]] == [
        {"Ref": alias_of(without_snapstart, "ExecutionEnded")[0]}
    ]


def test_api_routes_and_the_authorizer_invoke_the_aliases(synth: Synth) -> None:
    aliases = {f"<{alias_of(synth, n)[0]}>" for n in ("Presign", "Status")}
    uris = {
        render(i["Properties"]["IntegrationUri"]) for i in synth.resources("AWS::ApiGatewayV2::Integration").values()
    }
    assert uris == aliases
    _, authorizer = synth.one("AWS::ApiGatewayV2::Authorizer")
    assert f"/functions/<{alias_of(synth, 'Authorizer')[0]}>/invocations" in render(
        authorizer["Properties"]["AuthorizerUri"]
    )


def test_the_workflow_invokes_the_aliases_and_may_invoke_only_them(synth: Synth) -> None:
    _, state_machine = synth.one("AWS::StepFunctions::StateMachine")
    substitutions = state_machine["Properties"]["DefinitionSubstitutions"]
    for name in WORKFLOW:
        assert substitutions[f"{name}FunctionArn"] == {"Ref": alias_of(synth, name)[0]}, name
    role_id = state_machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    assert permissions(synth, role_id)["lambda:InvokeFunction"] == {f"<{alias_of(synth, n)[0]}>" for n in WORKFLOW}


def test_the_execution_ended_rule_invokes_the_alias(synth: Synth) -> None:
    _, rule = synth.one("AWS::Events::Rule", "WorkflowExecutionEnded")
    assert [t["Arn"] for t in rule["Properties"]["Targets"]] == [{"Ref": alias_of(synth, "ExecutionEnded")[0]}]


def test_every_invoke_permission_names_an_alias(synth: Synth) -> None:
    """API Gateway and EventBridge may invoke the aliases they call; none of them the unpublished function."""
    aliases = {f"<{alias_of(synth, n)[0]}>" for n in (*VISITOR_FACING, "Authorizer")}
    ours = {f"<{function_id(synth, n)}.Arn>" for n in (*VISITOR_FACING, "Authorizer")}
    for logical_id, permission in synth.resources("AWS::Lambda::Permission").items():
        target = render(permission["Properties"]["FunctionName"])
        assert target not in ours, logical_id
        if permission["Properties"]["Principal"] in ("apigateway.amazonaws.com", "events.amazonaws.com"):
            assert target in aliases, (logical_id, target)


def _version_ids_with_layer(tmp: Path, layer_text: str) -> dict[str, str]:
    """Synthesise the default stack with a layer holding ``layer_text``; the Version resource id of each function."""
    layer = tmp / "layer"
    (layer / "python").mkdir(parents=True)
    (layer / "python" / "photobooth_marker.py").write_text(layer_text)
    app, stack = build_app(config=DeploymentConfig(), outdir=str(tmp / "cdk.out"), layer_dir=layer, context=NO_NAG)
    app.synth()
    template = json.loads((tmp / "cdk.out" / f"{stack.artifact_id}.template.json").read_text())
    return {
        resource["Properties"]["FunctionName"]["Ref"]: logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Version"
    }


def test_a_new_layer_publishes_new_versions_that_the_aliases_move_to(tmp_path: Path) -> None:
    """The domain code is in the layer: a fix there must reach the alias callers invoke, through a new version
    (and a new snapshot). CDK hashes the layer into ``current_version`` only with recognizeLayerVersion."""
    before = _version_ids_with_layer(tmp_path / "before", "VALUE = 1\n")
    after = _version_ids_with_layer(tmp_path / "after", "VALUE = 2\n")
    layered = [f for f in before if f.startswith("Functions")]
    assert len(layered) == len(VISITOR_FACING)
    for function in layered:
        assert before[function] != after[function], function
