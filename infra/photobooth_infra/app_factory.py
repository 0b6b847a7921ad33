"""Build the CDK app: used by infra/app.py (make synth, cdk deploy) and by the tests."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks
from pydantic import ValidationError

from photobooth_infra import constants
from photobooth_infra.config import DeploymentConfig
from photobooth_infra.stack import PhotoboothStack

# Context keys (``-c key=value`` with the CDK CLI, or ``python infra/app.py -c key=value``).
CONFIG_CONTEXT = "config"  # path to the deployment settings JSON file
LAYER_CONTEXT = "layerDir"  # folder holding the built layer (default infra/.layer)
NAG_CONTEXT = "nag"  # "false" turns the cdk-nag checks off (not recommended)
# The domain code is in the layer: a new layer must publish new function versions, so the SnapStart aliases move to
# a version (and a snapshot) with it. CDK leaves the layer out of `current_version`'s hash unless this flag is set.
FEATURE_FLAGS = {"@aws-cdk/aws-lambda:recognizeLayerVersion": True}


def config_path(given: str, *, cwd: Path | None = None) -> Path:
    """The settings file ``-c config=`` names: as given from the current folder, else inside infra/. So the README's
    ``python infra/app.py -c config=my-event.json`` (from the repository root) and ``cdk deploy -c
    config=my-event.json`` (from infra/) read the same ``infra/my-event.json``."""
    path = Path(given).expanduser()
    candidates = [path] if path.is_absolute() else [(cwd or Path.cwd()) / path, constants.INFRA_DIR / path]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    tried = " or ".join(str(c) for c in dict.fromkeys(candidates))
    raise FileNotFoundError(f"-c config={given}: no such settings file ({tried}); copy infra/config.example.json")


class SettingsFileError(Exception):
    """The deployment's settings file is missing, not JSON, or holds settings that are not valid; the message says
    which, in plain lines (infra/app.py prints it instead of a traceback)."""


def load_config(app: App) -> DeploymentConfig:
    given = app.node.try_get_context(CONFIG_CONTEXT)
    if not given:
        return DeploymentConfig()
    try:
        path = config_path(str(given))
    except FileNotFoundError as error:
        raise SettingsFileError(str(error)) from error
    try:
        return DeploymentConfig.from_file(path)
    except json.JSONDecodeError as error:
        raise SettingsFileError(f"{path} is not valid JSON: {error}") from error
    except ValidationError as error:
        lines = [
            f"{'.'.join(str(part) for part in problem['loc']) or '(the file)'}: "
            + str(problem["msg"]).removeprefix("Value error, ")
            for problem in error.errors(include_url=False)
        ]
        raise SettingsFileError(f"{path} is not valid:\n" + "\n".join(lines)) from error


def build_app(
    *,
    config: DeploymentConfig | None = None,
    context: dict[str, Any] | None = None,
    outdir: str | None = None,
    layer_dir: Path | None = None,
    asl_path: Path = constants.ASL_PATH,
    web_dir: Path = constants.WEB_DIR,
) -> tuple[App, PhotoboothStack]:
    if outdir is None and "CDK_OUTDIR" not in os.environ:
        outdir = str(constants.DEFAULT_OUTDIR)
    app = App(outdir=outdir, context={**FEATURE_FLAGS, **(context or {})})
    config = config or load_config(app)
    layer_dir = layer_dir or Path(app.node.try_get_context(LAYER_CONTEXT) or constants.DEFAULT_LAYER_DIR)

    account = config.account or os.environ.get("CDK_DEFAULT_ACCOUNT")
    region = config.region or os.environ.get("CDK_DEFAULT_REGION")
    env = Environment(account=account, region=region) if (account or region) else None
    stack = PhotoboothStack(
        app,
        config.stack_name,
        config=config,
        layer_dir=layer_dir,
        asl_path=asl_path,
        web_dir=web_dir,
        env=env,
    )
    if str(app.node.try_get_context(NAG_CONTEXT)).lower() != "false":
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack
