"""``expected_visitors_per_hour`` (issue 20 item 1): the deployment writes it where ``photobooth doctor`` reads it
(the generate function's configuration, photobooth.doctor.deployment) and leaves it out when it is not set."""

from __future__ import annotations

import pytest

from photobooth.doctor.deployment import EXPECTED_VISITORS_VARIABLE, _generate_function
from tests.infra.conftest import FULL_CONFIG, Synth, render


class _Lambda:
    """GetFunctionConfiguration answering the synthesized function's properties."""

    def __init__(self, function: dict) -> None:
        self.function = function

    def get_function_configuration(self, FunctionName: str) -> dict:
        return {
            "FunctionArn": f"arn:aws:lambda:eu-west-1:123456789012:function:{FunctionName}",
            "Role": "arn:aws:iam::123456789012:role/generate",
            "Environment": {"Variables": render(self.function["Properties"]["Environment"]["Variables"])},
        }


@pytest.mark.slow
def test_the_doctor_reads_the_expected_crowd_and_the_default_themes_the_stack_deploys(full: Synth) -> None:
    _, function = full.one("AWS::Lambda::Function", "FunctionsGenerateFunction")

    generate = _generate_function(_Lambda(function), "generate", "eu-west-1")

    assert generate.expected_visitors_per_hour == FULL_CONFIG.expected_visitors_per_hour == 300
    assert generate.default_themes == FULL_CONFIG.default_themes
    # The pace the doctor judges is the one generate books at (the deployment's, as deployed).
    assert generate.model_calls_per_minute == FULL_CONFIG.model_calls_per_minute


@pytest.mark.slow
def test_without_the_setting_no_function_gets_the_variable(default: Synth) -> None:
    for _, function in default.resources("AWS::Lambda::Function").items():
        assert EXPECTED_VISITORS_VARIABLE not in function["Properties"].get("Environment", {}).get("Variables", {})
