"""cdk-nag (AwsSolutions), cfn-lint on the synthesized templates, and asl-validator on the committed ASL."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from aws_cdk import Validations
from photobooth_infra import constants

from tests.infra.conftest import REPO_ROOT, Synth

# CDK's own output: DependsOn next to a GetAtt (W3005) and the access-log bucket's LogDeliveryWrite ACL (W3045),
# which CloudFront's standard logging still needs.
ACCEPTED_CFN_LINT_WARNINGS = {"W3005", "W3045"}


@pytest.mark.slow
@pytest.mark.parametrize("which", ["full", "default"])
def test_cdk_nag_aws_solutions_has_no_unacknowledged_findings(which: str, request: pytest.FixtureRequest) -> None:
    synth: Synth = request.getfixturevalue(which)
    assert synth.error is None, synth.error


@pytest.mark.slow
def test_every_acknowledgment_gives_a_reason(full: Synth) -> None:
    acknowledged: dict[str, str] = {}
    for construct in full.stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule, reason in entry.data.items():
                    if "AwsSolutions-" in rule:
                        acknowledged[f"{construct.node.path} {rule}"] = reason
    assert acknowledged
    short = {k: v for k, v in acknowledged.items() if len(v.split()) < 6}
    assert not short, f"acknowledgments need a real reason: {short}"


@pytest.mark.slow
def test_cdk_nag_is_really_checking(tmp_path: Path) -> None:
    """Guard against a silently detached plugin: an unencrypted-logs bucket without acknowledgment fails."""
    from aws_cdk import App, Stack
    from aws_cdk import aws_s3 as s3
    from cdk_nag import AwsSolutionsChecks

    app = App(outdir=str(tmp_path))
    stack = Stack(app, "NagProbe")
    s3.Bucket(stack, "NoLogs")
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    assert "AwsSolutions-S1" in (tmp_path / "validation-report.json").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("which", ["full", "default"])
def test_cfn_lint_is_clean(which: str, request: pytest.FixtureRequest) -> None:
    from cfnlint.api import ManualArgs, lint_file

    synth: Synth = request.getfixturevalue(which)
    template = synth.outdir / f"{synth.stack.artifact_id}.template.json"
    matches = lint_file(template, config=ManualArgs(regions=["eu-west-1", "us-east-1"]))
    problems = [f"{m.rule.id} {m.message}" for m in matches if m.rule.id not in ACCEPTED_CFN_LINT_WARNINGS]
    assert not problems, "\n".join(problems)


def _asl_validator() -> list[str]:
    local = REPO_ROOT / "node_modules" / ".bin" / "asl-validator"
    if local.exists():
        return [str(local)]
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the ASL schema check needs Node.js (npm ci installs asl-validator)")
    version = json.loads((REPO_ROOT / "package.json").read_text())["devDependencies"]["asl-validator"]
    return ["npx", "--yes", f"asl-validator@{version}"]


def test_asl_definition_passes_asl_validator_after_substitution(tmp_path: Path) -> None:
    definition = constants.ASL_PATH.read_text(encoding="utf-8")
    sample = {
        "DetectFaceFunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:detect-face",
        "SegmentFunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:segment",
        "GenerateFunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:generate",
        "FinalizeFunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:finalize",
        "StatusTableName": "photobooth-status",
        "DefaultThemes": "unicorn-meadow,floating-city,cosmos",
        "GenerateMaxConcurrency": "3",
    }
    assert set(re.findall(r"\$\{(\w+)\}", definition)) == set(sample)
    for key, value in sample.items():
        definition = definition.replace("${" + key + "}", value)
    path = tmp_path / "definition.json"
    path.write_text(definition)
    result = subprocess.run(
        [*_asl_validator(), "--json-path", str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
