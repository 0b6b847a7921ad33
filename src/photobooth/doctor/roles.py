"""Does each role of the deployed stack allow every AWS call its code makes?

The calls are the package's record (``photobooth.iam.calls``, ``aws_calls.json``): for each function, the state
machine's role and the upload rule's role, the IAM actions and resources the code was recorded needing, filled with
this deployment's names. IAM's policy simulator (``iam:SimulatePrincipalPolicy``, which changes nothing) evaluates
them against the role as deployed, permissions boundaries and all. The image models' ``bedrock:InvokeModel`` is
checked per model by the model checks; the upscale model is checked here when ``upscaler`` is ``bedrock``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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
    recorded,
    required,
)

_FIX_GRANTS = (
    "deploy this version of infra/, which grants them; if you edited infra/, add them to that role's statements "
    "(infra/photobooth_infra/access.py) and run `make synth iam-check` before deploying again"
)
_SIMULATOR_FIX = "allow iam:SimulatePrincipalPolicy on the stack's roles for the credentials you run this with"


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
    role_arns[WORKFLOW] = clients.client("stepfunctions").describe_state_machine(
        stateMachineArn=stack.state_machine_arn
    )["roleArn"]
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
    )
    bedrock = clients.client("bedrock", stack.generate.bedrock_region)
    iam = clients.client("iam")
    for role, role_arn in role_arns.items():
        # The image models' InvokeModel: the model checks above, with each profile's routes.
        permissions = [p for p in recorded().get(role, ()) if p.resource != "${BedrockModel}"]
        yield _check_role(iam, role, role_arn, permissions, names, lambda model: _profile_regions(bedrock, model))


def _upload_rule_role(events: Any, stack: Stack) -> str | None:
    for rule in stack.rule_names:
        for target in events.list_targets_by_rule(Rule=rule).get("Targets", []):
            if target.get("Arn") == stack.state_machine_arn and target.get("RoleArn"):
                return str(target["RoleArn"])
    return None


def _profile_regions(bedrock: Any, model_id: str) -> Sequence[str]:
    try:
        profile = bedrock.get_inference_profile(inferenceProfileIdentifier=model_id)
    except ClientError:
        return ()  # the profile's own check is the upscale model's invocation; its ARN is still simulated
    return sorted({m["modelArn"].split(":")[3] for m in profile.get("models", [])})


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
            {"ContextKeyName": key, "ContextKeyValues": [value], "ContextKeyType": "string"}
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
