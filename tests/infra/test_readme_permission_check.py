"""README "Deploy to AWS", **Edited `infra/`?** (issue 17): the check it gives operators runs as written and does
what the paragraph says. The bash block's check line is run as pasted, from a folder laid out like the repository
(``infra/`` and ``cdk.out/Photobooth.template.json``, the synthesized template); the README's example of a missing
permission must be a line the command prints when that grant is removed from the template; the exit codes, the
unused-grant line and ``--account``/``--region`` are held the same way. (The block's synthesis line is the Deploy
block's, which tests/infra/test_readme_deploy.py runs.)"""

from __future__ import annotations

import copy
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import REPO_ROOT, Synth, function_role_id

pytestmark = pytest.mark.slow

TEMPLATE = "cdk.out/Photobooth.template.json"


def _edited_infra_paragraph() -> tuple[list[str], str]:
    """The bash block's commands (comments dropped) and the prose after it, up to the next paragraph."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    deploy = readme.split("\n## Deploy to AWS\n", 1)[1].split("\n## ", 1)[0]
    assert "**Edited `infra/`?**" in deploy, "README's Deploy to AWS no longer tells operators who edit infra/"
    part = deploy.split("**Edited `infra/`?**", 1)[1]
    block = re.search(r"```bash\n(.*?)\n```\n", part, flags=re.DOTALL)
    assert block, "no ```bash block after **Edited `infra/`?**"
    commands = [line.split("  #")[0].strip() for line in block.group(1).splitlines()]
    prose = part[block.end() :].split("\n\n", 1)[0]
    return [c for c in commands if c], " ".join(prose.split())


def _check_command() -> str:
    commands, _ = _edited_infra_paragraph()
    (check,) = [c for c in commands if "iam_check" in c]
    assert check.endswith(TEMPLATE), check
    return check


def _run(check: str, template: dict[str, Any], tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """The README's line as pasted in a shell with the project's virtual environment active."""
    folder = tmp_path / "repo"
    (folder / "cdk.out").mkdir(parents=True, exist_ok=True)
    if not (folder / "infra").exists():
        (folder / "infra").symlink_to(REPO_ROOT / "infra")
    (folder / TEMPLATE).write_text(json.dumps(template))
    environment = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "/usr/bin:/bin")]),
        "HOME": os.environ.get("HOME", str(tmp_path)),
    }
    return subprocess.run(
        ["bash", "-c", " ".join([check, *map(shlex.quote, extra)])],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    (policy,) = [
        p
        for p in template["Resources"].values()
        if p["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _without(synth: Synth, function: str, sid: str) -> dict[str, Any]:
    edited = copy.deepcopy(synth.template)
    statements = _statements(edited, function_role_id(synth, f"Functions{function}Function"))
    kept = [s for s in statements if s.get("Sid") != sid]
    assert len(kept) == len(statements) - 1, f"{function} has no statement {sid}"
    statements[:] = kept
    return edited


def _as_pattern(example: str) -> re.Pattern[str]:
    """The README's example line, its ``…`` standing for the stack's own names."""
    return re.compile("^" + ".+".join(map(re.escape, example.split("…"))) + "$", flags=re.MULTILINE)


def test_the_check_passes_the_synthesized_template_and_names_a_removed_grant_as_the_readme_shows(
    default: Synth, tmp_path: Path
) -> None:
    commands, prose = _edited_infra_paragraph()
    assert commands[0] == "python infra/app.py -c config=my-event.json", "synthesize first, as the Deploy block does"
    assert "exits 0 when all are allowed and nothing else is granted, or 1 with one line per missing permission" in (
        prose
    )
    check = _check_command()

    passed = _run(check, default.template, tmp_path)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert passed.stdout.startswith("✔ every role allows the "), passed.stdout

    # The README's example: generate without the grant to delete a result finished after its visitor erased.
    example = re.search(r"\(`(✘ denied: [^`]+)`\)", prose)
    assert example, "the paragraph shows no example line of a missing permission"
    failed = _run(check, _without(default, "Generate", "RemoveResultOfErasedRequest"), tmp_path)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert _as_pattern(example.group(1)).search(failed.stdout), (example.group(1), failed.stdout)


def test_an_unused_grant_fails_the_check_too(default: Synth, tmp_path: Path) -> None:
    _, prose = _edited_infra_paragraph()
    assert "or unused grant" in prose
    edited = copy.deepcopy(default.template)
    _statements(edited, function_role_id(default, "FunctionsSegmentFunction")).append(
        {"Effect": "Allow", "Action": "dynamodb:DeleteItem", "Resource": "*", "Sid": "NothingCallsThis"}
    )

    failed = _run(_check_command(), edited, tmp_path)

    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "✘ granted but never called: segment: dynamodb:DeleteItem (NothingCallsThis)" in failed.stdout


def test_the_account_and_region_options_the_readme_names_choose_the_stand_ins(default: Synth, tmp_path: Path) -> None:
    _, prose = _edited_infra_paragraph()
    assert "(`--account`, `--region` to choose them)" in prose

    failed = _run(
        _check_command(),
        _without(default, "Segment", "StatusUsage"),
        tmp_path,
        "--account",
        "210987654321",
        "--region",
        "eu-central-1",
    )

    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "✘ denied: segment: dynamodb:UpdateItem on arn:aws:dynamodb:eu-central-1:210987654321:table/" in (
        failed.stdout
    )


def test_the_deploy_steps_say_the_doctor_checks_every_role_and_it_does(capsys: pytest.CaptureFixture[str]) -> None:
    # The doctor's own checks on a stubbed healthy deployment (tests/unit/test_doctor.py builds it): one role line
    # for each role the README names, each function's, the workflow's and the upload rule's.
    from photobooth.iam.calls import ROLES
    from tests.unit.test_doctor import Scenario, doctor

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    deploy = " ".join(readme.split("\n## Deploy to AWS\n", 1)[1].split("\n## ", 1)[0].split())
    assert (
        "asks IAM's policy simulator whether each role (every function's, the workflow's, the upload rule's) allows "
        "every AWS call its code makes" in deploy
    )

    code, lines = doctor(Scenario(), capsys)

    assert code == 0, "\n".join(lines)
    checked = {line.split(":")[0].removeprefix("✔ role of ") for line in lines if line.startswith("✔ role of ")}
    assert checked == set(ROLES)


def test_a_template_the_check_cannot_read_exits_2_as_the_readme_says(default: Synth, tmp_path: Path) -> None:
    _, prose = _edited_infra_paragraph()
    assert "a template it cannot read or resolve exits 2 with the reason" in prose
    # A template whose state machine is gone: the workflow's role cannot be found.
    edited = copy.deepcopy(default.template)
    edited["Resources"] = {
        k: v for k, v in edited["Resources"].items() if v["Type"] != "AWS::StepFunctions::StateMachine"
    }

    failed = _run(_check_command(), edited, tmp_path)

    assert failed.returncode == 2, failed.stdout + failed.stderr
    assert failed.stderr.startswith(f"✘ cannot check {TEMPLATE}: TemplateError: "), failed.stderr
    assert "WorkflowStateMachine" in failed.stderr, "the reason names what is missing"
