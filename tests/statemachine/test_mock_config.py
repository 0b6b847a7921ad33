"""statemachine/mock-config.json (Step Functions Local's MockConfigFile): every case runs on two interpreters,
LocalStack's (its own process and virtual environment, made by ``make install-dev``) and moto's, and its mocked
answers can drift neither from the handlers nor from what the definition reads.

AWS rules these tests hold the interpreters to (tests/statemachine/localstack_env/aws_rules.py patches both):
- "Handling errors in Step Functions workflows"
  (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html): ``States.ALL`` does not catch
  ``States.Runtime`` or ``States.DataLimitExceeded``; a JSONPath that selects nothing is ``States.Runtime``.
- "Processing input and output in Step Functions"
  (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-input-output-filtering.html): ``ResultSelector``
  builds the state's result from the task's answer, so each path it names must be in the answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.statemachine import interpreters
from tests.statemachine.interpreters import (
    InterpreterUnavailable,
    LocalStack,
    Outcome,
    localstack_interpreter,
    moto_interpreter,
)
from tests.statemachine.mock_answers import CASES, MALFORMED_PREFIX, build_mock_config, handler_answers, render

# --- the file against the definition --------------------------------------------------------------------------------


def _definition() -> dict:
    return json.loads(interpreters.rendered_definition())


def _states(states: dict) -> dict[str, dict]:
    """Every state, those inside a Map's ItemProcessor included."""
    found = dict(states)
    for state in states.values():
        if "ItemProcessor" in state:
            found |= _states(state["ItemProcessor"]["States"])
    return found


# A path starts at a "$" that is neither part of a word nor of the context object's "$$".
_PATH = re.compile(r"(?<![\w$])\$(?!\$)((?:\.[A-Za-z_]\w*)*)")


def _paths(expression: str) -> list[str]:
    """The JSONPaths an expression reads (``$.a.b`` -> ``a.b``; ``$`` -> ``""``), the context object's ``$$.`` left
    out. An intrinsic such as ``States.StringSplit($.Attributes.themeList.S, ',')`` reads its path arguments."""
    return [match.group(1).lstrip(".") for match in _PATH.finditer(expression)]


def _reads(template: Any) -> list[str]:
    """Paths read by a Parameters / ItemSelector / ResultSelector template (values of keys ending in ``.$``)."""
    if isinstance(template, dict):
        found: list[str] = []
        for key, value in template.items():
            if key.endswith(".$") and isinstance(value, str):
                found += _paths(value)
            else:
                found += _reads(value)
        return found
    if isinstance(template, list):
        return [path for item in template for path in _reads(item)]
    return []


def _choice_variables(rule: dict) -> Iterator[tuple[str, bool]]:
    """(path, checked with IsPresent) for each Variable of a Choice rule, And/Or/Not included."""
    if "Variable" in rule:
        yield rule["Variable"].lstrip("$").lstrip("."), "IsPresent" in rule
    for nested in rule.get("And", []) + rule.get("Or", []) + ([rule["Not"]] if "Not" in rule else []):
        yield from _choice_variables(nested)


def state_reads(state: dict) -> list[str]:
    """Every path of the state's input that its Parameters, ItemSelector, ItemsPath and Choice rules read; a path
    the definition itself checks with IsPresent is optional and left out."""
    reads = _reads(state.get("Parameters", {})) + _reads(state.get("ItemSelector", {}))
    if "ItemsPath" in state:
        reads += _paths(state["ItemsPath"])
    variables = [v for rule in state.get("Choices", []) for v in _choice_variables(rule)]
    optional = {path for path, is_presence_check in variables if is_presence_check}
    reads += [path for path, _ in variables if path not in optional]
    return reads


def required_answer_fields(definition: dict) -> dict[str, set[str]]:
    """For each Task state: the paths its answer must hold. Those its ResultSelector selects, and, where the selector
    keeps a whole part of the answer (``"item.$": "$"``), those that later states read beneath it."""
    states = _states(definition["States"])
    later_reads = [path for state in states.values() for path in state_reads(state)]
    required: dict[str, set[str]] = {}
    for name, state in states.items():
        if state["Type"] != "Task" or "ResultSelector" not in state:
            continue
        fields = set()
        result_path = state.get("ResultPath", "$").lstrip("$").lstrip(".")
        for key, selected in state["ResultSelector"].items():
            for path in _paths(selected):
                fields.add(path)
                kept = ".".join(part for part in (result_path, key.removesuffix(".$")) if part)
                for read in later_reads:
                    if read.startswith(kept + "."):
                        fields.add(".".join(part for part in (path, read[len(kept) + 1 :]) if part))
        required[name] = {field for field in fields if field}
    return required


def _holds(answer: Any, path: str) -> bool:
    for part in path.split("."):
        if not isinstance(answer, dict) or part not in answer:
            return False
        answer = answer[part]
    return True


def missing_fields(config: dict, definition: dict) -> list[str]:
    """Every (case, state, mocked answer, attempt, field) where a mocked answer lacks a field the definition reads."""
    required = required_answer_fields(definition)
    problems = []
    for case, mocks in config["StateMachines"]["photobooth"]["TestCases"].items():
        for state, response in mocks.items():
            if response.startswith(MALFORMED_PREFIX):
                continue
            for attempt, answer in config["MockedResponses"][response].items():
                for path in sorted(required.get(state, ())):
                    if "Return" in answer and not _holds(answer["Return"], path):
                        problems.append(f"{case}: {state!r} answers {response}[{attempt}] without {path}")
    return problems


def test_the_cases_mock_real_states_with_known_answers():
    config = interpreters.mock_config()
    states = _states(_definition()["States"])
    cases = config["StateMachines"]["photobooth"]["TestCases"]

    assert len(cases) >= 13 and set(cases) == set(CASES)
    for case, mocks in cases.items():
        assert set(mocks) <= set(states), f"{case} mocks states the definition does not have"
        assert set(mocks.values()) <= set(config["MockedResponses"]), f"{case} names an unknown response"
        for state in mocks:
            assert states[state]["Type"] == "Task", f"{case} mocks {state!r}, which is no Task"


def test_the_fields_a_state_reads_from_an_earlier_result_are_the_ones_its_selector_keeps():
    """``$.detection.sourceKey`` read by the Map must be one of the keys Detect faces' ResultSelector writes."""
    definition = _definition()
    states = _states(definition["States"])
    written = {
        state["ResultPath"].lstrip("$").lstrip("."): {key.removesuffix(".$") for key in state["ResultSelector"]}
        for state in states.values()
        if "ResultSelector" in state and state.get("ResultPath")
    }
    for name, state in states.items():
        for path in state_reads(state):
            head, _, rest = path.partition(".")
            if head in written and rest:
                assert rest.split(".")[0] in written[head], f"{name!r} reads $.{path}, which no selector writes"


def test_every_mocked_answer_holds_every_field_the_definition_reads():
    definition = _definition()
    required = required_answer_fields(definition)
    # What the derivation finds on today's definition (so a broken derivation cannot pass by finding nothing).
    assert {"Payload.sourceKey", "Payload.inputKey", "Payload.faces"} <= required["Detect faces"]
    assert required["Claim the request"] == {"Attributes.themeList.S"}
    assert required["Record the result"] == {"Payload.status"}
    assert "Payload.error" in required["Generate image"]

    assert missing_fields(interpreters.mock_config(), definition) == []


def test_a_mocked_answer_without_a_selected_field_is_caught():
    config, definition = interpreters.mock_config(), _definition()
    del config["MockedResponses"]["OneFaceFound"]["0"]["Return"]["Payload"]["sourceKey"]
    del config["MockedResponses"]["ClaimGranted"]["0"]["Return"]["Attributes"]["themeList"]

    problems = missing_fields(config, definition)

    assert "HappyPath: 'Detect faces' answers OneFaceFound[0] without Payload.sourceKey" in problems
    assert "HappyPath: 'Claim the request' answers ClaimGranted[0] without Attributes.themeList.S" in problems


def test_the_malformed_answers_do_lack_a_field_the_definition_reads():
    config = interpreters.mock_config()
    required = required_answer_fields(_definition())
    for case, mocks in config["StateMachines"]["photobooth"]["TestCases"].items():
        for state, response in mocks.items():
            if response.startswith(MALFORMED_PREFIX):
                answers = config["MockedResponses"][response].values()
                assert any(not _holds(a["Return"], path) for a in answers for path in required[state]), case


def test_the_committed_mocks_are_what_the_handlers_answer_now():
    """scripts/regenerate-mock-config rewrites the file when a handler's answer changes."""
    expected = render(build_mock_config(handler_answers()))

    assert interpreters.MOCK_CONFIG.read_text() == expected, "run scripts/regenerate-mock-config"


# --- every case on both interpreters --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def localstack() -> Iterator[LocalStack]:
    """One LocalStack for this module (it holds 0.5-0.7 GB: it stops when the module's tests are done, not at the
    end of the session). One that cannot start fails the tests, with its log: never a skip."""
    try:
        with localstack_interpreter() as running:
            yield running
    except InterpreterUnavailable as error:
        pytest.fail(f"LocalStack's Step Functions could not start: {error}")


@pytest.fixture(scope="module")
def outcomes(localstack) -> dict[str, dict[str, Outcome]]:
    """Every case on LocalStack's interpreter and on moto's. LocalStack's executions run (and wait out their retry
    back-offs) while moto's do."""
    try:
        sfn = localstack.client()
        started = interpreters.start_cases(sfn, list(CASES))
        with moto_interpreter() as moto_sfn:
            on_moto = interpreters.run_cases(moto_sfn, list(CASES))
        on_localstack = interpreters.wait_for_cases(sfn, started)
    except Exception as error:
        pytest.fail(f"running the cases failed: {error!r}\n--- LocalStack's log ---\n{localstack.log_text()[-6000:]}")
    return {"localstack": on_localstack, "moto": on_moto}


def test_localstack_listens_on_loopback_only(localstack):
    """The tier's LocalStack answers nobody but this machine (GATEWAY_LISTEN=127.0.0.1:<port> is not enough by
    itself: LocalStack 2026.3.0's gateway ignores the host for IPv4 and listens on 0.0.0.0)."""
    assert localstack.listening_addresses() == {"127.0.0.1"}


def _attempts(outcome: Outcome, state: str) -> int:
    """How many times a Task state outside the Map was scheduled (its first try and every retry)."""
    current, count = None, 0
    for event in outcome.events:
        if "stateEnteredEventDetails" in event:
            current = event["stateEnteredEventDetails"]["name"]
        elif event["type"] in {"TaskScheduled", "LambdaFunctionScheduled"} and current == state:
            count += 1
    return count


@pytest.mark.parametrize("interpreter", ["localstack", "moto"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_case(outcomes, interpreter, case):
    expected, outcome = CASES[case], outcomes[interpreter][case]
    told = f"{interpreter} ran {case}: {outcome.summary()}"

    assert (outcome.status, outcome.error) == (expected.status, expected.error), told
    assert set(expected.entered) <= set(outcome.entered), told
    assert not set(expected.not_entered) & set(outcome.entered), told
    for state, attempts in expected.attempts.items():
        assert _attempts(outcome, state) == attempts, f"{state} ran {_attempts(outcome, state)} times; {told}"


def test_both_interpreters_take_the_same_path_through_every_case(outcomes):
    for case in CASES:
        on_localstack, on_moto = outcomes["localstack"][case], outcomes["moto"][case]
        # Map iterations interleave differently; the states entered, as a set and count, must agree.
        assert sorted(on_localstack.entered) == sorted(on_moto.entered), case
