"""Moderation and print size in the template: Rekognition's content check is granted where it runs, the settings
reach the functions. DetectModerationLabels has no resource-level permissions (Service Authorization Reference,
"Actions defined by Amazon Rekognition"), so it is scoped as DetectFaces/DetectLabels are: to the function."""

from __future__ import annotations

import json

import pytest
from photobooth_infra.config import DeploymentConfig

from photobooth.config import DEFAULT_MODERATION_CATEGORIES, Settings
from tests.infra.conftest import Synth, _synth, function_role_id, permissions

pytestmark = pytest.mark.slow

MODERATION = "rekognition:DetectModerationLabels"


def _environment(synth: Synth, name: str) -> dict:
    _, function = synth.one("AWS::Lambda::Function", f"Functions{name}Function")
    return function["Properties"]["Environment"]["Variables"]


def test_detect_and_generate_may_call_the_content_check_and_nothing_else_may(default: Synth) -> None:
    for name in ("Presign", "Status", "DetectFace", "Segment", "Generate", "Finalize"):
        granted = permissions(default, function_role_id(default, f"Functions{name}Function"))
        if name in ("DetectFace", "Generate"):
            assert granted[MODERATION] == {"*"}, name
        else:
            assert MODERATION not in granted, name


def test_generate_reads_the_original_for_the_print_size_paste(default: Synth) -> None:
    bucket = default.one("AWS::S3::Bucket", "StorageData")[0]
    granted = permissions(default, function_role_id(default, "FunctionsGenerateFunction"))
    assert f"<{bucket}.Arn>/photo/*" in granted["s3:GetObject"]


def test_the_settings_reach_the_functions(default: Synth) -> None:
    for name in ("DetectFace", "Generate"):
        environment = _environment(default, name)
        assert environment["PHOTOBOOTH_OUTPUT_LONG_SIDE"] == "2048"
        assert environment["PHOTOBOOTH_MODERATION_BACKEND"] == "rekognition"
        assert environment["PHOTOBOOTH_MODERATION_MIN_CONFIDENCE"] == "80.0"
        assert json.loads(environment["PHOTOBOOTH_MODERATION_CATEGORIES"]) == list(DEFAULT_MODERATION_CATEGORIES)
        assert environment["PHOTOBOOTH_MODERATE_GENERATED_IMAGES"] == "true"


def test_without_moderation_no_function_may_call_it(tmp_path_factory: pytest.TempPathFactory) -> None:
    synth = _synth(
        tmp_path_factory.mktemp("no-moderation"),
        DeploymentConfig(moderation_backend="none", output_long_side=0, moderation_categories=("Explicit",)),
    )
    for name in ("DetectFace", "Generate"):
        assert MODERATION not in permissions(synth, function_role_id(synth, f"Functions{name}Function")), name
    environment = _environment(synth, "Generate")
    assert environment["PHOTOBOOTH_MODERATION_BACKEND"] == "none"
    assert environment["PHOTOBOOTH_OUTPUT_LONG_SIDE"] == "0"
    assert synth.error is None, synth.error


def test_unknown_categories_are_refused_in_the_deployment_settings() -> None:
    with pytest.raises(ValueError, match="unknown moderation categories"):
        DeploymentConfig(moderation_categories=("Nudity",))


def test_a_category_among_the_let_through_labels_is_refused_at_deployment_as_the_functions_refuse_it() -> None:
    """The functions read PHOTOBOOTH_MODERATION_LET_THROUGH_LABELS into Settings, which refuses a category there;
    a deployment that accepted one would deploy functions that fail on every photo."""
    labels = ("Bare Back", "Non-Explicit Nudity")
    with pytest.raises(ValueError, match="are categories, not third-level labels"):
        Settings(moderation_let_through_labels=labels)

    with pytest.raises(ValueError, match="are categories, not third-level labels"):
        DeploymentConfig(moderation_let_through_labels=labels)
