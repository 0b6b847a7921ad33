"""Issue 23 item 7: the README's "Deploy" steps work when pasted. The block is read from README.md and run as
written in a copy of the repository, in one shell (so `cd infra` carries over), except what needs PyPI or an AWS
account: the layer is a placeholder (as in conftest.py), `bootstrap` is skipped, and `deploy` runs what the CDK CLI
runs before it deploys: cdk.json's app, with the `-c` context in CDK_CONTEXT_JSON. `make synth CONFIG=...` is run
the same way. Each synthesis must have read the event's file (its edited event_name is in the template)."""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra.conftest import REPO_ROOT

pytestmark = pytest.mark.slow

EVENT_NAME = "readme-test-event"


def deploy_block() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"### Deploy\n\n```bash\n(.*?)\n```", readme, flags=re.DOTALL)
    assert block, "README.md has no ```bash block under ### Deploy"
    lines = [line.split("  #")[0].strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def repository_copy(tmp: Path) -> Path:
    root = tmp / "repo"
    ignore = shutil.ignore_patterns(".layer", "cdk.out", "__pycache__", "my-event.json")
    for folder in ("infra", "statemachine", "web", "functions"):
        shutil.copytree(REPO_ROOT / folder, root / folder, ignore=ignore)
    for file in ("Makefile", "pyproject.toml"):
        shutil.copy2(REPO_ROOT / file, root / file)
    (root / ".venv").symlink_to(REPO_ROOT / ".venv")
    return root


def as_run_here(line: str, tmp: Path) -> str:
    """The README's line, or what stands in for it without PyPI and AWS."""
    words = shlex.split(line)
    if words[:2] == ["python", "infra/build_layer.py"]:
        return "mkdir -p infra/.layer/python && echo placeholder > infra/.layer/python/placeholder.txt"
    if words[:3] == ["npx", "aws-cdk@2", "bootstrap"]:
        return "true"
    if words[:3] == ["npx", "aws-cdk@2", "deploy"]:
        context = dict(word.split("=", 1) for flag, word in itertools.pairwise(words) if flag == "-c")
        app = json.loads((REPO_ROOT / "infra" / "cdk.json").read_text())
        return (
            f"CDK_CONTEXT_JSON={shlex.quote(json.dumps(context))} CDK_OUTDIR={shlex.quote(str(tmp / 'deploy.out'))} "
            f"{app['app']}"
        )
    if words[:2] == ["cp", "infra/config.example.json"]:
        edit = (
            "python -c \"import json,sys; p=sys.argv[1]; c=json.load(open(p)); c['event_name']='"
            + EVENT_NAME
            + "'; json.dump(c, open(p, 'w'))\" "
            + shlex.quote(words[2])
        )
        return f"{line} && {edit}"  # "edit it", as the README says
    return line


def event_name_in(template: Path) -> bool:
    return EVENT_NAME in template.read_text()


def test_the_readme_deploy_steps_run_as_written(tmp_path: Path) -> None:
    root = repository_copy(tmp_path)
    lines = deploy_block()
    assert any(line.startswith("npx aws-cdk@2 deploy") for line in lines)
    script = "set -euo pipefail\n" + "\n".join(as_run_here(line, tmp_path) for line in lines)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PHOTOBOOTH_", "CDK_"))}
    result = subprocess.run(
        ["bash", "-c", script], cwd=root, env=environment, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, f"{script}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    # `python infra/app.py -c config=my-event.json` from the root and the deploy's synthesis from infra/ both read
    # infra/my-event.json.
    assert event_name_in(root / "cdk.out" / "Photobooth.template.json")
    assert event_name_in(tmp_path / "deploy.out" / "Photobooth.template.json")


def test_make_synth_takes_the_events_configuration(tmp_path: Path) -> None:
    root = repository_copy(tmp_path)
    config = json.loads((root / "infra" / "config.example.json").read_text())
    (root / "infra" / "my-event.json").write_text(json.dumps({**config, "event_name": EVENT_NAME}))
    (root / "infra" / ".layer" / "python").mkdir(parents=True)
    (root / "infra" / ".layer" / "python" / "placeholder.txt").write_text("placeholder\n")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PHOTOBOOTH_", "CDK_"))}
    result = subprocess.run(
        ["make", "synth", "CONFIG=infra/my-event.json"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert event_name_in(root / "cdk.out" / "Photobooth.template.json")


def test_a_missing_settings_file_names_where_it_was_looked_for(tmp_path: Path) -> None:
    from photobooth_infra.app_factory import config_path

    with pytest.raises(FileNotFoundError, match=r"no such settings file .*infra/nope\.json"):
        config_path("nope.json", cwd=tmp_path)


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ('{"booth_page": {"kiosPin": "1234"}}', "booth_page.kiosPin: Extra inputs are not permitted"),
        ('{"retention_days": 0}', "retention_days: Input should be greater than or equal to 1"),
        ('{"event_name": "gala",', "is not valid JSON"),
        (None, "no such settings file"),
    ],
)
def test_a_wrong_settings_file_is_told_in_plain_lines(tmp_path: Path, settings: str | None, said: str) -> None:
    """What an operator pasting the README's synthesis or deploy step sees when the event's file is wrong: the
    setting and what is wrong with it, not a Python traceback (cdk deploy shows what app.py prints)."""
    path = tmp_path / "my-event.json"
    if settings is not None:
        path.write_text(settings)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PHOTOBOOTH_", "CDK_"))}
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "infra" / "app.py"), "-c", f"config={path}"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    assert said in result.stderr and str(path) in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "cdk.out").exists()


def test_the_readme_asks_for_a_node_release_the_cdk_still_supports() -> None:
    """The jsii runtime that runs the CDK library prints an end-of-life banner for Node releases past their end of
    life; its own table of releases says which those are."""
    import datetime

    import jsii

    runtime = Path(jsii.__file__).parent / "_embedded" / "jsii" / "bin__jsii-runtime.js"
    releases = {
        int(major): datetime.date.fromisoformat(day)
        for major, day in re.findall(
            r'NodeRelease\((\d+),\{endOfLife:new Date\("(\d{4}-\d{2}-\d{2})"\)', runtime.read_text()
        )
    }
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    asked = re.search(r"^- Node\.js (\d+)", readme, flags=re.MULTILINE)
    assert asked and releases, "README's prerequisites name no Node.js release, or jsii's table was not found"
    oldest = int(asked.group(1))
    assert releases[oldest] > datetime.date.today(), f"README asks for Node {oldest}, end of life {releases[oldest]}"
