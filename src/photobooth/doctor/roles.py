"""Does each role of the deployed stack allow every AWS call its code makes?

The calls are the package's record (``photobooth.iam.calls``, ``aws_calls.json``): for each function, the state
machine's role and the upload rule's role, the IAM actions and resources the code was recorded needing, filled with
this deployment's names. IAM's policy simulator (``iam:SimulatePrincipalPolicy``, which changes nothing) evaluates
them against the role as deployed, permissions boundaries and all. The Bedrock models' ``bedrock:InvokeModel`` (each
image model and, when ``upscaler`` is ``bedrock``, the upscale model) is left to the model checks
(:func:`photobooth.doctor.run._model_checks`), which simulate it once per model with the regions its profile routes
to and name the ``bedrock_regions`` to set.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from photobooth.doctor.deployment import Deployment as Stack
from photobooth.doctor.results import CheckResult, client_error_message
from photobooth.iam.calls import (
    FUNCTIONS,
    UPLOAD_RULE,
    WORKFLOW,
    Deployment,
    Permission,
    Required,
    UnknownSubstitution,
    function_arn_substitution,
    recorded,
    required,
)

_FIX_GRANTS = (
    "deploy this version of infra/, which grants them; if you edited infra/, add them to that role's statements "
    "(infra/photobooth_infra/access.py) and run `make synth iam-check` before deploying again"
)
_SIMULATOR_FIX = "allow iam:SimulatePrincipalPolicy on the stack's roles for the credentials you run this with"
# The recorded calls' Bedrock models: the model checks own their InvokeModel (see the module's note).
_MODEL_PLACEHOLDERS = frozenset({"${BedrockModel}", "${UpscaleModel}"})
# Condition keys of the recorded calls that hold a set of values (ArrayOfString in the Service Authorization
# Reference): the simulator takes them as a stringList (IAM API reference, ContextEntry,
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_ContextEntry.html). The doctor ships without that data
# set; tests/unit/test_doctor.py reads the type of each recorded key from it.
_MULTIVALUED_KEYS = frozenset({"dynamodb:leadingkeys"})


def _context_key_type(key: str) -> str:
    return "stringList" if key.lower() in _MULTIVALUED_KEYS else "string"


def check_roles(stack: Stack, clients: Any) -> Iterator[CheckResult]:
    """One line per role: every recorded call allowed, or each denied one with its action and resource."""
    lambda_client = clients.client("lambda")
    role_arns: dict[str, str] = {}
    environments: dict[str, dict[str, str]] = {}
    for function in FUNCTIONS:
        name = stack.function_names.get(function)
        if name is None:
            yield CheckResult.failed(
                f"role of {function}",
                "the function is not among the stack's resources",
                "deploy this version of infra/ (it has one function per folder of functions/)",
            )
            continue
        configuration = lambda_client.get_function_configuration(FunctionName=name)
        role_arns[function] = configuration["Role"]
        environments[function] = configuration.get("Environment", {}).get("Variables", {})
    machine = clients.client("stepfunctions").describe_state_machine(stateMachineArn=stack.state_machine_arn)
    role_arns[WORKFLOW] = machine["roleArn"]
    upload_rule = _upload_rule_role(clients.client("events"), stack)
    if upload_rule is None:
        yield CheckResult.failed(
            f"role of {UPLOAD_RULE}",
            "no EventBridge rule of the stack starts the state machine",
            "deploy this version of infra/ (its rule starts the workflow for each upload)",
        )
    else:
        role_arns[UPLOAD_RULE] = upload_rule

    names = Deployment(
        partition=stack.generate.partition,
        region=stack.region,
        account=stack.generate.account,
        bucket_name=stack.bucket_name,
        table_name=stack.status_table,
        state_machine_arn=stack.state_machine_arn,
        function_names=dict(stack.function_names),
        environment=environments,
        definition_substitutions=invoked_functions(machine.get("definition", ""), stack.function_names),
    )
    iam = clients.client("iam")
    for role, role_arn in role_arns.items():
        permissions = [p for p in recorded().get(role, ()) if p.resource not in _MODEL_PLACEHOLDERS]
        try:
            yield _check_role(iam, role, role_arn, permissions, names, _no_model_here)
        except UnknownSubstitution as error:
            yield CheckResult.failed(
                f"role of {role}",
                f"the deployed state machine does not invoke every workflow function: {error}",
                "deploy this version of infra/ (its state machine invokes each function's live alias)",
            )


def invoked_functions(definition: str, function_names: Mapping[str, str]) -> dict[str, str]:
    """``DetectFaceFunctionArn`` -> the ARN the deployed definition's Lambda tasks invoke that function by.

    Step Functions invokes exactly the FunctionName its definition names (the ``live`` alias ARN since SnapStart),
    and a grant on the unqualified ARN does not cover a qualified one, so the simulation must name the same ARN
    (Step Functions developer guide, "Invoke an AWS Lambda function",
    https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html). The deployed definition has its
    substitutions already filled; a function is found by the name part of the ARN (``function:NAME[:QUALIFIER]``).
    """
    try:
        parsed = json.loads(definition) if definition else {}
    except ValueError:
        return {}
    by_name = {name: function for function, name in function_names.items()}
    found: dict[str, str] = {}
    for state in _states(parsed):
        if (
            not str(state.get("Resource", "")).startswith("arn:")
            or ":states:::lambda:invoke" not in state["Resource"]
        ):
            continue
        arn = state.get("Parameters", {}).get("FunctionName")
        parts = arn.split(":") if isinstance(arn, str) else []
        function = by_name.get(parts[6]) if len(parts) >= 7 and parts[5] == "function" else None
        if function is not None:
            found[function_arn_substitution(function)] = arn
    return found


def _states(definition: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for state in definition.get("States", {}).values():
        yield state
        for nested in (state.get("ItemProcessor"), state.get("Iterator"), *state.get("Branches", [])):
            if nested:
                yield from _states(nested)


def _upload_rule_role(events: Any, stack: Stack) -> str | None:
    for rule in stack.rule_names:
        for target in events.list_targets_by_rule(Rule=rule).get("Targets", []):
            if target.get("Arn") == stack.state_machine_arn and target.get("RoleArn"):
                return str(target["RoleArn"])
    return None


def _no_model_here(model_id: str) -> Sequence[str]:
    """``required``'s profile routes: never asked, since the role checks leave every Bedrock model out."""
    raise AssertionError(f"the model checks, not the role checks, simulate InvokeModel of {model_id}")


def _check_role(
    iam: Any, role: str, role_arn: str, permissions: list[Permission], names: Deployment, destinations: Any
) -> CheckResult:
    name = f"role of {role}"
    needs = list(required({role: permissions}, names, destinations=destinations))
    # One simulation per action and condition context: the simulator evaluates every action on every resource.
    groups: dict[tuple[str, tuple[tuple[str, str], ...]], list[Required]] = {}
    for need in needs:
        groups.setdefault((need.action, tuple(sorted(need.context.items()))), []).append(need)
    denied: list[str] = []
    for (action, context), group in groups.items():
        resources = list(dict.fromkeys(need.resource for need in group))
        try:
            refused = _simulate(iam, role_arn, action, resources, dict(context))
        except ClientError as error:
            return CheckResult.failed(
                name, f"IAM's policy simulator refused: {client_error_message(error)}", _SIMULATOR_FIX
            )
        conditions = "".join(f" with {k}={v}" for k, v in context)
        denied += [f"{action} on {resource}{conditions}" for resource in refused]
    if denied:
        return CheckResult.failed(name, f"{role_arn} may not: {'; '.join(denied)}", _FIX_GRANTS)
    return CheckResult.passed(name, f"allows every call its code makes ({len(needs)} checked)")


def _simulate(iam: Any, role_arn: str, action: str, resources: list[str], context: dict[str, str]) -> list[str]:
    kwargs: dict[str, Any] = {"PolicySourceArn": role_arn, "ActionNames": [action], "ResourceArns": resources}
    if context:
        kwargs["ContextEntries"] = [
            {"ContextKeyName": key, "ContextKeyValues": [value], "ContextKeyType": _context_key_type(key)}
            for key, value in context.items()
        ]
    refused: list[str] = []
    while True:
        page = iam.simulate_principal_policy(**kwargs)
        refused += [
            r["EvalResourceName"] for r in page.get("EvaluationResults", []) if r["EvalDecision"] != "allowed"
        ]
        if not page.get("IsTruncated"):
            return refused
        kwargs["Marker"] = page["Marker"]
