"""Fast tests without synthesis: settings validation, the booth-key authorizer, the layer's requirements."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from aws_cdk import Stack
from botocore.config import Config
from photobooth_infra import constants
from photobooth_infra.bedrock_access import bedrock_model_arns, marketplace_statements
from photobooth_infra.config import DeploymentConfig
from photobooth_infra.constants import AUTHORIZER_DIR, INFRA_DIR
from photobooth_infra.functions import function_environment
from pydantic import ValidationError

from photobooth.config import DEFAULT_MODEL_IDS, DEFAULT_THEMES, Settings


def test_defaults_come_from_the_domain_package() -> None:
    config = DeploymentConfig()
    assert config.bedrock_model_ids == DEFAULT_MODEL_IDS
    assert config.default_themes == tuple(t.name for t in DEFAULT_THEMES)
    assert config.segmentation_backend == "selfie"


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


def test_every_function_runs_numpy_without_openblas_worker_threads() -> None:
    """The limit must reach the functions' environment: OpenBLAS reads it when numpy is first imported."""
    environment = function_environment(DeploymentConfig(), bucket_name="b", table_name="t", sam_endpoint_name=None)
    assert environment["OPENBLAS_NUM_THREADS"] == "1"


def _resolved(arns: list[str]) -> set[str]:
    stack = Stack()
    return {_render(stack.resolve(arn)) for arn in arns}


def _render(value: object) -> str:
    """A resolved ARN as text: ``<AWS::Region>`` for pseudo parameters."""
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(_render(part) for part in value["Fn::Join"][1])
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    return str(value)


def test_bedrock_arns_for_plain_models_default_to_the_stack_region() -> None:
    arns = _resolved(bedrock_model_arns(["amazon.nova-canvas-v1:0"], source_regions=["us-east-1"]))
    assert arns == {"arn:<AWS::Partition>:bedrock:us-east-1::foundation-model/amazon.nova-canvas-v1:0"}


def test_an_inference_profile_needs_its_model_in_every_region_it_routes_to() -> None:
    """Amazon Bedrock user guide, "Supported Regions and models for inference profiles": the US Stability
    profiles route to us-east-1, us-east-2 and us-west-2, whichever the source region."""
    arns = _resolved(bedrock_model_arns(["us.stability.stable-image-inpaint-v1:0"], source_regions=["us-east-1"]))
    assert arns == {
        "arn:<AWS::Partition>:bedrock:us-east-1:<AWS::AccountId>:inference-profile/"
        "us.stability.stable-image-inpaint-v1:0",
        *(
            f"arn:<AWS::Partition>:bedrock:{r}::foundation-model/stability.stable-image-inpaint-v1:0"
            for r in ("us-east-1", "us-east-2", "us-west-2")
        ),
    }


@pytest.mark.parametrize("model", ["eu.stability.stable-image-inpaint-v1:0", "us.writer.palmyra-x5-v1:0"])
def test_a_profile_whose_routing_is_not_built_in_needs_its_regions(model: str) -> None:
    """Routing differs per model even within one geography (US Writer Palmyra also reaches us-west-1): granting a
    guessed set of regions would fail at random, so the settings are refused until the operator names them."""
    with pytest.raises(ValidationError, match="inference_profile_regions"):
        DeploymentConfig(bedrock_model_ids=(model,))


def test_an_operator_names_the_regions_of_a_profile_that_is_not_built_in() -> None:
    model = "eu.stability.stable-image-inpaint-v1:0"
    config = DeploymentConfig(
        bedrock_model_ids=(model,), inference_profile_regions={model: ("eu-central-1", "eu-west-1")}
    )
    arns = _resolved(
        bedrock_model_arns(
            config.bedrock_model_ids, source_regions=["eu-west-1"], profile_overrides=config.inference_profile_regions
        )
    )
    assert "arn:<AWS::Partition>:bedrock:eu-central-1::foundation-model/stability.stable-image-inpaint-v1:0" in arns


@pytest.mark.parametrize(
    "settings",
    [
        {"region": "eu-west-1"},  # the default US profile cannot be called from Europe
        {"bedrock_regions": ["eu-central-1"]},
        {"inference_profile_regions": {"us.other-model-v1:0": ["us-east-1"]}},  # not a configured model
        {"marketplace_product_ids": ["not a product id!"]},
    ],
)
def test_bedrock_settings_that_cannot_work_are_refused(settings: dict) -> None:
    with pytest.raises(ValidationError):
        DeploymentConfig.model_validate(settings)


def test_only_marketplace_models_bring_marketplace_permissions() -> None:
    amazon_only = DeploymentConfig(bedrock_model_ids=("amazon.nova-canvas-v1:0",))
    assert marketplace_statements(amazon_only.invoked_model_ids) == []
    stability = DeploymentConfig(bedrock_model_ids=("us.stability.stable-image-inpaint-v1:0",), region="us-west-2")
    actions = {a for statement in marketplace_statements(stability.invoked_model_ids) for a in statement.actions}
    # The doctor makes the first subscription with the operator's credentials (docs/decisions.md, 2026-12-07).
    assert actions == {"aws-marketplace:ViewSubscriptions"}


def _client_configs(module) -> list[Config]:
    return [value for value in vars(module).values() if isinstance(value, Config)]


def test_function_timeouts_cover_the_code_budgets() -> None:
    """A Lambda timeout ends the step as INTERNAL: each function must outlive what its code may wait for."""
    from photobooth.aws import bedrock, sagemaker

    # A SageMaker container must answer within 60 s; botocore's default read timeout is 60 s too.
    sagemaker_read = max([c.read_timeout or 60 for c in _client_configs(sagemaker)] or [60])
    assert constants.SEGMENT.timeout.to_seconds() >= sagemaker_read + 20
    # One model call (connect, read, no botocore retry) plus the paste and store after it: the generator starts no
    # call that could not finish in the invocation's remaining time, so the first model and one fallback must fit.
    settings = Settings(backend="aws")
    generator = bedrock.BedrockImageGenerator(
        settings.bedrock_model_ids,
        client=object(),
        read_timeout=settings.bedrock_read_timeout,
        reserve_seconds=settings.generate_reserve_seconds,
    )
    config = bedrock.client_config(settings.bedrock_read_timeout)
    assert config.retries["total_max_attempts"] == 1 and config.read_timeout == settings.bedrock_read_timeout
    assert constants.GENERATE.timeout.to_seconds() >= 2 * generator.seconds_per_call
    # POST /photo waits at most photo_wait_seconds (27 s at most), then answers, inside API Gateway's 30 s.
    longest_wait = DeploymentConfig(photo_wait_seconds=27).photo_wait_seconds
    assert longest_wait + constants.PHOTO_WAIT_MARGIN_SECONDS <= constants.PRESIGN.timeout.to_seconds() <= 30


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


def test_the_functions_get_the_moderation_labels_let_through(monkeypatch: pytest.MonkeyPatch) -> None:
    """The deployed functions apply the domain's exemptions (tests/unit/test_moderation_let_through.py)."""
    for config, expected in [
        (DeploymentConfig(), ("Bare Back", "Exposed Male Nipple")),
        (DeploymentConfig(moderation_let_through_labels=()), ()),
    ]:
        environment = function_environment(config, bucket_name="b", table_name="t", sam_endpoint_name=None)
        variable = "PHOTOBOOTH_MODERATION_LET_THROUGH_LABELS"
        monkeypatch.setenv(variable, environment[variable])
        assert Settings().moderation_let_through_labels == expected
