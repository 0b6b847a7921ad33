"""Shared fixtures: ONE synthesized template per configuration for the whole session (synth takes seconds).

The layer is a placeholder folder made here, so these tests need neither the real layer build nor Docker.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "infra"))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from photobooth_infra.config import DeploymentConfig, SamEndpointConfig  # noqa: E402

SAM_ARTEFACT = "s3://my-artefacts/photobooth/sam/model.tar.gz"

# A Marketplace product id as the operator would copy it from the model's page (test data, not a real product).
PRODUCT_ID = "prod-photoboothtest1"

FULL_KIOSK_PIN = "739146"

# Everything switched on: deployed SAM endpoint, alarm mail, an extra origin, Bedrock called in two US regions
# from a stack in Europe, a kiosk PIN and booth page settings, an inference profile next to a plain model, a
# Marketplace product id, the seed's upload envelope with a shorter POST /photo wait, the Bedrock upscaler, and print
# and moderation settings off their defaults, and an expected crowd for the doctor's capacity check.
FULL_CONFIG = DeploymentConfig(
    account="123456789012",
    region="eu-west-1",
    segmentation_backend="sam",
    sam=SamEndpointConfig(deploy=True, model_data_url=SAM_ARTEFACT),
    bedrock_regions=("us-west-2", "us-east-1"),
    bedrock_model_ids=("us.stability.stable-image-inpaint-v1:0", "amazon.nova-canvas-v1:0"),
    marketplace_product_ids=(PRODUCT_ID,),
    alarm_email="ops@example.com",
    allowed_origins=("http://localhost:8000",),
    generate_max_concurrency=2,
    seed_compat_envelope=True,
    photo_wait_seconds=20,
    output_long_side=3000,
    upscaler="bedrock",
    moderation_min_confidence=75.0,
    kiosk_pin=FULL_KIOSK_PIN,
    booth_page={"countdownSeconds": 5, "logoUrl": "/logo.png"},
    expected_visitors_per_hour=300,
)


@dataclass
class Synth:
    template: dict[str, Any]
    error: str | None
    stack: Any
    outdir: Path

    def resources(self, type_: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == type_}

    def one(self, type_: str, prefix: str = "") -> tuple[str, dict[str, Any]]:
        found = [(k, v) for k, v in self.resources(type_).items() if k.startswith(prefix)]
        assert len(found) == 1, f"expected one {type_} starting with {prefix!r}, found {[k for k, _ in found]}"
        return found[0]


def _synth(tmp: Path, config: DeploymentConfig) -> Synth:
    from photobooth_infra.app_factory import build_app

    layer = tmp / "layer"
    (layer / "python").mkdir(parents=True)
    (layer / "python" / "placeholder.txt").write_text("synth-only tests do not build the real layer\n")
    outdir = tmp / "cdk.out"
    app, stack = build_app(config=config, outdir=str(outdir), layer_dir=layer)
    error = None
    try:
        app.synth()
    except Exception as exc:  # the nag plugin fails synthesis; the template is already written
        report = outdir / "validation-report.json"
        error = f"{exc}\n{report.read_text() if report.exists() else ''}"
    template = json.loads((outdir / f"{stack.artifact_id}.template.json").read_text())
    return Synth(template=template, error=error, stack=stack, outdir=outdir)


@pytest.fixture(scope="session")
def full(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth(tmp_path_factory.mktemp("full"), FULL_CONFIG)


@pytest.fixture(scope="session")
def default(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The defaults an operator gets with no settings file (GrabCut segmentation, no endpoint)."""
    return _synth(tmp_path_factory.mktemp("default"), DeploymentConfig())


def render(value: Any) -> Any:
    """A CloudFormation value as readable text: ``<Logical.Attr>``, ``<Ref>`` and joined strings."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return [render(v) for v in value]
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref":
            return f"<{arg}>"
        if key == "Fn::GetAtt":
            return f"<{arg[0]}.{arg[1]}>"
        if key == "Fn::Join":
            return arg[0].join(str(render(p)) for p in arg[1])
    if isinstance(value, dict):
        return {k: render(v) for k, v in value.items()}
    return value


def role_statements(synth: Synth, role_id: str) -> list[dict[str, Any]]:
    statements = []
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def function_role_id(synth: Synth, function_prefix: str) -> str:
    _, function = synth.one("AWS::Lambda::Function", function_prefix)
    return function["Properties"]["Role"]["Fn::GetAtt"][0]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def permissions(synth: Synth, role_id: str, *, skip: tuple[str, ...] = ("logs:", "xray:")) -> dict[str, set[str]]:
    """action -> rendered resources, over every statement of the role's policies."""
    granted: dict[str, set[str]] = {}
    for statement in role_statements(synth, role_id):
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            if action.startswith(skip):
                continue
            granted.setdefault(action, set()).update(render(r) for r in as_list(statement["Resource"]))
    return granted
