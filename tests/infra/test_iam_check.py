"""Each role of the synthesized template allows every AWS call its code was recorded making, and grants nothing else.

The recorded calls are src/photobooth/iam/aws_calls.json (tests/iam/test_aws_calls.py keeps it true); the check is
photobooth_infra.iam_check, the command operators run on their own edited stack.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from photobooth_infra import iam_check
from photobooth_infra.iam_check import Template

from tests.infra.conftest import REPO_ROOT, Synth, function_role_id

pytestmark = pytest.mark.slow


@pytest.fixture(params=["full", "default"])
def synth(request: pytest.FixtureRequest) -> Synth:
    return request.getfixturevalue(request.param)


def _denied(template: dict) -> list[str]:
    return [need.describe() for need in iam_check.denied_calls(Template(template))]


def test_every_role_allows_every_call_its_code_makes(synth: Synth) -> None:
    denied = _denied(synth.template)
    assert not denied, "\n".join(denied)


def test_every_granted_action_is_called_or_has_its_reason(synth: Synth) -> None:
    unused = iam_check.unused_grants(Template(synth.template))
    assert not unused, "\n".join(unused)


def test_every_reason_for_a_grant_names_an_action_the_role_is_granted(full: Synth, default: Synth) -> None:
    # A reason kept after its grant went (perm-fix removed aws-marketplace:Unsubscribe) would let that grant come
    # back unnoticed: each reason must name an action the role has in the full or the default stack.
    granted: dict[str, set[str]] = {}
    for synth in (full, default):
        template = Template(synth.template)
        for role, role_id in iam_check.role_ids(template).items():
            for statement in iam_check.role_statements(template, role_id):
                if statement["Effect"] == "Allow":
                    granted.setdefault(role, set()).update(a.lower() for a in iam_check._as_list(statement["Action"]))
    stale = [
        f"{role}: {action}"
        for role, reasons in iam_check.WHY_GRANTED.items()
        for action in reasons
        if not any(action.lower() in actions for r, actions in granted.items() if role in ("*", r))
    ]
    assert not stale, stale


def _without_statement(template: dict, role_id: str, sid: str) -> dict:
    edited = copy.deepcopy(template)
    removed = 0
    for policy in edited["Resources"].values():
        if policy["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements = policy["Properties"]["PolicyDocument"]["Statement"]
            kept = [s for s in statements if s.get("Sid") != sid]
            removed += len(statements) - len(kept)
            policy["Properties"]["PolicyDocument"]["Statement"] = kept
    assert removed == 1, f"no statement {sid} on {role_id}"
    return edited


@pytest.mark.parametrize(
    ("function", "sid", "missing"),
    [
        ("Status", "PresignDownloads", "status: s3:GetObject on arn:aws:s3:::"),
        ("Generate", "WriteResult", "generate: s3:PutObject on arn:aws:s3:::"),
        ("Segment", "StatusUsage", "segment: dynamodb:UpdateItem on arn:aws:dynamodb:us-east-1:123456789012:table/"),
        # The booth key check (hostile-api) and the kiosk's attempts item (eventday-ops) are recorded calls too.
        ("Status", "CheckBoothKey", "status: secretsmanager:GetSecretValue on arn:aws:secretsmanager:us-east-1:"),
        (
            "Status",
            "KioskPinAttempts",
            "status: dynamodb:UpdateItem on arn:aws:dynamodb:us-east-1:123456789012:table/",
        ),
    ],
)
def test_removing_a_needed_statement_fails_and_names_the_call(full: Synth, function: str, sid: str, missing: str):
    role = function_role_id(full, f"Functions{function}Function")
    denied = _denied(_without_statement(full.template, role, sid))
    assert denied and all(line.startswith(missing) for line in denied), denied


def test_the_attempts_grant_allows_only_the_attempts_item(full: Synth) -> None:
    # The grant's dynamodb:LeadingKeys condition is evaluated, not just its action: naming another item's key
    # denies the kiosk's UpdateItem, and no request's UpdateItem is allowed by it
    # (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html).
    role = function_role_id(full, "FunctionsStatusFunction")
    edited = copy.deepcopy(full.template)
    for policy in edited["Resources"].values():
        if policy["Type"] == "AWS::IAM::Policy" and {"Ref": role} in policy["Properties"]["Roles"]:
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                if statement.get("Sid") == "KioskPinAttempts":
                    statement["Condition"] = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["#other"]}}

    denied = [line.split(" (for")[0] for line in _denied(edited)]

    table = Template(full.template).name_of(full.one("AWS::DynamoDB::Table", "StorageStatus")[0])
    assert denied == [
        f"status: dynamodb:UpdateItem on arn:aws:dynamodb:us-east-1:123456789012:table/{table}"
        " with dynamodb:LeadingKeys=#kiosk-pin-attempts"
    ]


def test_a_deny_wins_over_an_allow_and_conditions_narrow_the_list(full: Synth) -> None:
    role = function_role_id(full, "FunctionsStatusFunction")
    edited = copy.deepcopy(full.template)
    policy = next(
        p
        for p in edited["Resources"].values()
        if p["Type"] == "AWS::IAM::Policy" and {"Ref": role} in p["Properties"]["Roles"]
    )
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    statements.append({"Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": "*"})
    listing = next(s for s in statements if s.get("Sid") == "ListRequestObjects")
    listing["Condition"] = {"StringLike": {"s3:prefix": ["photo/*"]}}

    denied = _denied(edited)

    template = Template(full.template)
    table = template.name_of(full.one("AWS::DynamoDB::Table", "StorageStatus")[0])
    bucket = template.name_of(full.one("AWS::S3::Bucket", "StorageData")[0])
    assert sorted(line.split(" (for")[0] for line in denied) == [
        f"status: dynamodb:PutItem on arn:aws:dynamodb:us-east-1:123456789012:table/{table}"
        " with dynamodb:LeadingKeys=example-id",
        *(
            f"status: s3:ListBucket on arn:aws:s3:::{bucket} with s3:prefix={prefix}/example-id"
            for prefix in ("generated", "wall", "work")
        ),
    ]


def _command(template: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "infra"), str(REPO_ROOT / "src")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "photobooth_infra.iam_check", str(template)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_passes_the_synthesized_template_and_fails_a_copy_without_a_statement(
    full: Synth, tmp_path: Path
) -> None:
    synthesized = full.outdir / f"{full.stack.artifact_id}.template.json"
    passed = _command(synthesized)
    assert passed.returncode == 0, passed.stdout + passed.stderr

    role = function_role_id(full, "FunctionsFinalizeFunction")
    edited = tmp_path / "edited.template.json"
    edited.write_text(json.dumps(_without_statement(full.template, role, "WriteWallCopies")))
    failed = _command(edited)

    assert failed.returncode == 1
    assert "✘ denied: finalize: s3:PutObject on arn:aws:s3:::" in failed.stdout
    assert "/wall/example-id" in failed.stdout and "fix:" in failed.stderr


def _workflow_invoke_statement(template: dict) -> dict:
    machine = next(v for v in template["Resources"].values() if v["Type"] == "AWS::StepFunctions::StateMachine")
    role_id = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    return next(
        s
        for p in template["Resources"].values()
        if p["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "InvokeWorkflowFunctions"
    )


def test_the_workflow_is_checked_on_the_alias_arns_its_definition_substitutions_name(full: Synth) -> None:
    # Step Functions invokes exactly the FunctionName of the definition, here the live alias (SnapStart), and an
    # unqualified grant does not cover a qualified ARN
    # (https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html).
    template = Template(full.template)
    substitutions = iam_check.definition_substitutions(template)
    names = {f: template.name_of(iam_check.function_logical_id(template, f)) for f in ("detect_face", "finalize")}
    assert substitutions["DetectFaceFunctionArn"] == (
        f"arn:aws:lambda:us-east-1:123456789012:function:{names['detect_face']}:live"
    )
    invokes = [
        need.resource
        for need in iam_check.required(
            iam_check.recorded(), iam_check.deployment(template), destinations=lambda _: ()
        )
        if need.role == "workflow" and need.action == "lambda:InvokeFunction"
    ]
    assert sorted(invokes) == sorted(
        substitutions[f"{n}FunctionArn"] for n in ("DetectFace", "Segment", "Generate", "Finalize")
    )

    # Without the grant, each of the four invocations is denied, by its alias ARN.
    workflow_role = iam_check.role_ids(template)["workflow"]
    removed = _without_statement(full.template, workflow_role, "InvokeWorkflowFunctions")
    expected = sorted(f"workflow: lambda:InvokeFunction on {arn}" for arn in invokes)
    assert sorted(line.split(" (for")[0] for line in _denied(removed)) == expected
    # And a Deny of the same action wins over the grant.
    denying = copy.deepcopy(full.template)
    _workflow_invoke_statement(denying)["Effect"] = "Deny"
    assert sorted(line.split(" (for")[0] for line in _denied(denying)) == expected


def test_a_workflow_grant_on_the_bare_functions_fails(full: Synth) -> None:
    edited = copy.deepcopy(full.template)
    statement = _workflow_invoke_statement(edited)
    template = Template(full.template)
    names = [
        template.name_of(iam_check.function_logical_id(template, f))
        for f in ("detect_face", "segment", "generate", "finalize")
    ]
    bare = [f"arn:aws:lambda:us-east-1:123456789012:function:{name}" for name in names]
    statement["Resource"] = bare
    denied = [line.split(" (for")[0] for line in _denied(edited)]
    assert sorted(denied) == sorted(f"workflow: lambda:InvokeFunction on {arn}:live" for arn in bare)
    # The grant itself, unchanged, allows them.
    assert not [line for line in _denied(full.template) if line.startswith("workflow:")]
