"""Fast tests without synthesis: settings validation, the booth-key authorizer, the layer's requirements."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from photobooth_infra.access import bedrock_model_arns
from photobooth_infra.config import DeploymentConfig
from photobooth_infra.constants import AUTHORIZER_DIR, INFRA_DIR
from photobooth_infra.functions import function_environment
from pydantic import ValidationError

from photobooth.config import DEFAULT_MODEL_IDS, DEFAULT_THEMES


def test_defaults_come_from_the_domain_package() -> None:
    config = DeploymentConfig()
    assert config.bedrock_model_ids == DEFAULT_MODEL_IDS
    assert config.default_themes == tuple(t.name for t in DEFAULT_THEMES)
    assert config.segmentation_backend == "grabcut"


@pytest.mark.parametrize(
    "settings",
    [
        {"default_themes": ["no-such-theme"]},
        {"bedrock_model_ids": []},
        {"bedrock_regions": ["moon-1"]},
        {"allowed_origins": ["https://booth.example.com/path"]},
        {"log_retention_days": 10},
        {"retention_days": 30, "generated_retention_days": 7},
        {"sam": {"deploy": True}},
        {"sam": {"deploy": True, "model_data_url": "https://example.com/model.tar.gz"}},
        {"themes": [{"name": "x", "prompt": "a"}, {"name": "x", "prompt": "b"}]},
        {"name_prefix": "Photo_Booth"},
        {"unknown_key": 1},
    ],
)
def test_bad_settings_are_refused(settings: dict) -> None:
    with pytest.raises(ValidationError):
        DeploymentConfig.model_validate(settings)


def test_settings_file_round_trip(tmp_path) -> None:
    path = tmp_path / "event.json"
    path.write_text(
        '{"retention_days": 3, "generated_retention_days": 14, "segmentation_backend": "sam",'
        ' "sam": {"endpoint_name": "my-sam"}}'
    )
    config = DeploymentConfig.from_file(path)
    assert (config.retention_days, config.sam.endpoint_name, config.uses_sam) == (3, "my-sam", True)


def test_example_settings_file_is_valid() -> None:
    DeploymentConfig.from_file(INFRA_DIR / "config.example.json")


def test_environment_that_would_exceed_lambda_limit_is_refused() -> None:
    themes = [{"name": f"t{i}", "prompt": "p" * 500} for i in range(10)]
    config = DeploymentConfig.model_validate({"themes": themes, "default_themes": ["t0"]})
    with pytest.raises(ValueError, match="4 KB"):
        function_environment(config, bucket_name="b", table_name="t", sam_endpoint_name=None)


def test_bedrock_arns_for_plain_models_default_to_the_stack_region() -> None:
    arns = bedrock_model_arns(DeploymentConfig(bedrock_model_ids=("stability.stable-image-inpaint-v1:0",)))
    assert len(arns) == 1 and arns[0].endswith("::foundation-model/stability.stable-image-inpaint-v1:0")


@pytest.fixture
def authorizer(monkeypatch: pytest.MonkeyPatch):
    spec = importlib.util.spec_from_file_location("booth_authorizer", AUTHORIZER_DIR / "handler.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    calls = []

    class FakeSecrets:
        def get_secret_value(self, SecretId: str) -> dict:
            calls.append(SecretId)
            return {"SecretString": "s3cret-booth-key"}

    monkeypatch.setenv("BOOTH_KEY_SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:1:secret:booth")
    monkeypatch.setattr(module, "_client", FakeSecrets())
    module.calls = calls
    return module


def test_authorizer_accepts_only_the_booth_key(authorizer) -> None:
    def event(headers: dict) -> dict:
        return {"type": "REQUEST", "headers": headers}

    assert authorizer.handler(event({"x-booth-key": "s3cret-booth-key"}), None) == {"isAuthorized": True}
    assert authorizer.handler(event({"X-Booth-Key": "s3cret-booth-key"}), None) == {"isAuthorized": True}
    assert authorizer.handler(event({"x-booth-key": "wrong"}), None) == {"isAuthorized": False}
    assert authorizer.handler(event({}), None) == {"isAuthorized": False}
    assert authorizer.calls == ["arn:aws:secretsmanager:eu-west-1:1:secret:booth"]  # read once, then cached


def test_layer_requirements_leave_boto3_to_the_runtime() -> None:
    sys.path.insert(0, str(INFRA_DIR))
    from build_layer import layer_requirements

    requirements = layer_requirements()
    names = " ".join(requirements)
    assert "boto3" not in names and "tracer" not in names
    assert any(r.startswith("aws-lambda-powertools[parser]") for r in requirements)
    # imaging (paste-back) needs OpenCV whatever the segmenter
    assert any(r.startswith("opencv-python-headless") for r in requirements)
