"""Check a synthesized template against every AWS call the code makes: ``python -m photobooth_infra.iam_check
cdk.out/Photobooth.template.json`` exits 0 when each role allows all its recorded calls, 1 with what is missing.

The calls are the package's record (src/photobooth/iam/aws_calls.json, ``make aws-calls``). The template's
intrinsics (``Ref``, ``Fn::GetAtt``, ``Fn::Join``, ``Fn::Sub``, ``Fn::Select``, ``Fn::Split``) are resolved for one
account and region, and each recorded call is evaluated against the role's policy statements: moto's IAM policy
classes (``moto.iam.access_control``, the evaluator moto's own access control uses) match actions and resources
with their wildcards; conditions are evaluated here, since moto only knows ``StringEquals`` (see
:func:`condition_holds`). An explicit Deny wins over any Allow; no Allow is a denial.

Least privilege the other way (:func:`unused_grants`): every action a role is granted must be one its code was
recorded making, or be listed in :data:`WHY_GRANTED` with its reason.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto.iam.access_control import IAMPolicyStatement, PermissionResult

from photobooth.iam.calls import (
    FUNCTIONS,
    REGENERATE,
    UPLOAD_RULE,
    WORKFLOW,
    Deployment,
    Permission,
    Required,
    recorded,
    required,
)

ACCOUNT = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"

# Granted actions no recorded call makes, and why they stay (role -> action -> reason; "*" for every role).
WHY_GRANTED: dict[str, dict[str, str]] = {
    "*": {
        "logs:CreateLogStream": "Lambda writes the function's own logs with its role "
        "(https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html)",
        "logs:PutLogEvents": "Lambda writes the function's own logs with its role",
        "xray:PutTraceSegments": "active tracing sends segments with the role "
        "(https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html)",
        "xray:PutTelemetryRecords": "active tracing",
    },
    "detect_face": {
        "s3:ListBucket": "an erased upload must answer 404 (PhotoMissing), not 403: S3 tells a missing key only to a "
        "caller with s3:ListBucket (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html)",
    },
    "generate": {
        # Bedrock makes these Marketplace calls itself, with the caller's permissions: no botocore call of the code
        # to record (photobooth_infra.bedrock_access.marketplace_statements).
        "aws-marketplace:Subscribe": "Bedrock subscribes the account to a Marketplace model on its first "
        "invocation, with the caller's permissions "
        "(https://docs.aws.amazon.com/bedrock/latest/userguide/model-access.html); "
        "granted only for the operator's marketplace_product_ids, limited to them",
        "aws-marketplace:ViewSubscriptions": "Bedrock checks the subscription on invocation",
    },
    WORKFLOW: {
        "xray:GetSamplingRules": "the state machine's X-Ray tracing "
        "(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-xray-tracing.html)",
        "xray:GetSamplingTargets": "the state machine's X-Ray tracing",
        **{
            f"logs:{action}": "the state machine's execution logs go to CloudWatch Logs with its role "
            "(https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html)"
            for action in (
                "CreateLogDelivery",
                "GetLogDelivery",
                "UpdateLogDelivery",
                "DeleteLogDelivery",
                "ListLogDeliveries",
                "PutResourcePolicy",
                "DescribeResourcePolicies",
                "DescribeLogGroups",
            )
        },
    },
}

_FUNCTION_LOGICAL_PREFIX = "Functions{}Function"


class TemplateError(Exception):
    """The template has something this check cannot resolve; it says what."""


# --- resolving the template's intrinsics ---------------------------------------------------------------------------


_ARN_OF_TYPE = {
    "AWS::S3::Bucket": "arn:{p}:s3:::{name}",
    "AWS::DynamoDB::Table": "arn:{p}:dynamodb:{r}:{a}:table/{name}",
    "AWS::Lambda::Function": "arn:{p}:lambda:{r}:{a}:function:{name}",
    "AWS::IAM::Role": "arn:{p}:iam::{a}:role/{name}",
    "AWS::StepFunctions::StateMachine": "arn:{p}:states:{r}:{a}:stateMachine:{name}",
    "AWS::Logs::LogGroup": "arn:{p}:logs:{r}:{a}:log-group:{name}:*",
    "AWS::SQS::Queue": "arn:{p}:sqs:{r}:{a}:{name}",
    "AWS::SNS::Topic": "arn:{p}:sns:{r}:{a}:{name}",
    "AWS::SecretsManager::Secret": "arn:{p}:secretsmanager:{r}:{a}:secret:{name}",
    "AWS::SageMaker::Endpoint": "arn:{p}:sagemaker:{r}:{a}:endpoint/{name}",
}
# Ref answers the ARN for these types, the name for the others we meet.
_REF_IS_ARN = frozenset(
    {
        "AWS::StepFunctions::StateMachine",
        "AWS::SNS::Topic",
        "AWS::SecretsManager::Secret",
        "AWS::IAM::Policy",
        # "Ref returns the resource ARN" (AWS::Lambda::Alias, CloudFormation template reference,
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-alias.html)
        "AWS::Lambda::Alias",
    }
)
_NAME_PROPERTY = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::IAM::Role": "RoleName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::SageMaker::Endpoint": "EndpointName",
}


@dataclass
class Template:
    body: dict[str, Any]
    account: str = ACCOUNT
    region: str = REGION
    partition: str = PARTITION

    @classmethod
    def load(cls, path: str | Path, **names: str) -> Template:
        return cls(json.loads(Path(path).read_text()), **names)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.body.get("Resources", {})
        return resources

    def of_type(self, type_: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v.get("Type") == type_}

    def name_of(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        given = resource.get("Properties", {}).get(_NAME_PROPERTY.get(resource["Type"], ""))
        if given is not None:
            return str(self.resolve(given))
        # CloudFormation makes up a name from the stack and the logical id; any stable stand-in does here.
        return f"photobooth-{logical_id.lower()}"[:63]

    def arn_of(self, logical_id: str) -> str:
        type_ = self.resources[logical_id]["Type"]
        if type_ == "AWS::Lambda::Alias":
            # The function's ARN qualified with the alias name (Lambda developer guide, "Create an alias",
            # https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html).
            properties = self.resources[logical_id]["Properties"]
            function = str(self.resolve(properties["FunctionName"]))
            if not function.startswith("arn:"):
                function = _ARN_OF_TYPE["AWS::Lambda::Function"].format(
                    p=self.partition, r=self.region, a=self.account, name=function
                )
            return f"{function}:{self.resolve(properties['Name'])}"
        pattern = _ARN_OF_TYPE.get(type_)
        if pattern is None:
            service = type_.split("::")[1].lower()
            pattern = f"arn:{{p}}:{service}:{{r}}:{{a}}:{{name}}"
        return pattern.format(p=self.partition, r=self.region, a=self.account, name=self.name_of(logical_id))

    def ref(self, name: str) -> str:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "Photobooth",
            "AWS::StackId": f"arn:{self.partition}:cloudformation:{self.region}:{self.account}:stack/Photobooth/x",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.body.get("Parameters", {}):
            return str(self.body["Parameters"][name].get("Default", name))
        if name not in self.resources:
            raise TemplateError(f"Ref to {name}, which the template does not define")
        return self.arn_of(name) if self.resources[name]["Type"] in _REF_IS_ARN else self.name_of(name)

    def get_att(self, logical_id: str, attribute: str) -> str:
        if logical_id not in self.resources:
            raise TemplateError(f"Fn::GetAtt of {logical_id}, which the template does not define")
        if attribute in ("Arn", "TableArn", "BucketArn"):
            return self.arn_of(logical_id)
        if attribute in ("Name", "QueueName", "TopicName"):
            return self.name_of(logical_id)
        return f"{self.name_of(logical_id)}.{attribute}"

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical_id, attribute)
            if key == "Fn::Join":
                separator, parts = arg
                return separator.join(str(self.resolve(p)) for p in self.resolve(parts))
            if key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else arg
                return self._sub(text, {k: self.resolve(v) for k, v in variables.items()})
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                separator, text = arg
                return str(self.resolve(text)).split(separator)
            if key.startswith("Fn::") or key == "Condition":
                raise TemplateError(f"{key} is not resolved by this check")
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, text: str, variables: Mapping[str, Any]) -> str:
        out, rest = [], text
        while "${" in rest:
            before, _, after = rest.partition("${")
            name, _, rest = after.partition("}")
            out.append(before)
            if name.startswith("!"):
                out.append("${" + name[1:] + "}")
            elif name in variables:
                out.append(str(variables[name]))
            elif "." in name and not name.startswith("AWS::"):
                out.append(self.get_att(*name.split(".", 1)))
            else:
                out.append(self.ref(name))
        return "".join(out) + rest


# --- the roles and what they are granted ----------------------------------------------------------------------------


def function_logical_id(template: Template, function: str) -> str:
    prefix = _FUNCTION_LOGICAL_PREFIX.format("".join(part.title() for part in function.split("_")))
    found = [k for k in template.of_type("AWS::Lambda::Function") if k.startswith(prefix)]
    if len(found) != 1:
        raise TemplateError(f"expected one Lambda function {prefix}…, found {found or 'none'}")
    return found[0]


def _role_of(template: Template, value: Any, what: str) -> str:
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    raise TemplateError(f"the role of {what} is not a role of this template: {value!r}")


def state_machine(template: Template) -> tuple[str, dict[str, Any]]:
    machines = template.of_type("AWS::StepFunctions::StateMachine")
    if len(machines) != 1:
        raise TemplateError(f"expected one state machine, found {sorted(machines)}")
    ((machine_id, machine),) = machines.items()
    return machine_id, machine


def definition_substitutions(template: Template) -> dict[str, str]:
    """The state machine's DefinitionSubstitutions, resolved: the ARNs its Task states invoke, exactly as written
    there (the functions' live aliases), not an ARN rebuilt from the function's name."""
    _, machine = state_machine(template)
    given = machine["Properties"].get("DefinitionSubstitutions", {})
    return {name: str(template.resolve(value)) for name, value in given.items()}


def role_ids(template: Template) -> dict[str, str]:
    """role key of aws_calls.json -> the logical id of its AWS::IAM::Role."""
    roles = {
        f: _role_of(template, template.resources[function_logical_id(template, f)]["Properties"]["Role"], f)
        for f in FUNCTIONS
    }
    machine_id, machine = state_machine(template)
    roles[WORKFLOW] = _role_of(template, machine["Properties"]["RoleArn"], "the state machine")
    for rule_id, rule in template.of_type("AWS::Events::Rule").items():
        for target in rule["Properties"].get("Targets", []):
            if target.get("Arn") == {"Ref": machine_id}:
                roles[UPLOAD_RULE] = _role_of(template, target.get("RoleArn"), f"the rule {rule_id}")
    if UPLOAD_RULE not in roles:
        raise TemplateError("no EventBridge rule starts the state machine")
    return roles


def role_statements(template: Template, role_id: str) -> list[dict[str, Any]]:
    """Every statement of the role's inline policies and of the AWS::IAM::Policy resources attached to it,
    resolved. (Managed policies are not read: the stack attaches only AWSLambdaBasicExecutionRole, for logs.)"""
    documents = [p["PolicyDocument"] for p in template.resources[role_id].get("Properties", {}).get("Policies", [])]
    for policy in template.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"].get("Roles", []):
            documents.append(policy["Properties"]["PolicyDocument"])
    statements = []
    for document in documents:
        listed = document["Statement"]
        statements += template.resolve(listed if isinstance(listed, list) else [listed])
    return statements


def deployment(template: Template) -> Deployment:
    environment = {
        f: template.resolve(
            template.resources[function_logical_id(template, f)]["Properties"]
            .get("Environment", {})
            .get("Variables", {})
        )
        for f in FUNCTIONS
    }
    presign = environment["presign"]
    return Deployment(
        partition=template.partition,
        region=template.region,
        account=template.account,
        bucket_name=presign["PHOTOBOOTH_BUCKET_NAME"],
        table_name=presign["PHOTOBOOTH_TABLE_NAME"],
        state_machine_arn=presign["PHOTOBOOTH_STATE_MACHINE_ARN"],
        function_names={f: template.name_of(function_logical_id(template, f)) for f in FUNCTIONS},
        environment=environment,
        definition_substitutions=definition_substitutions(template),
    )


# --- evaluating ----------------------------------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _moto_matches(element: str, patterns: Any, value: str) -> bool:
    """moto's wildcard match of one statement element (Action or Resource) against ``value``."""
    statement = {"Effect": "Allow", "Action": "*", "Resource": "*", element: _as_list(patterns)}
    return IAMPolicyStatement(statement).is_action_permitted(
        "*" if element == "Resource" else value, value if element == "Resource" else "*"
    ) is (PermissionResult.PERMITTED)


def _like(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


_OPERATORS = {
    "StringEquals": lambda expected, actual: actual == expected,
    "StringLike": _like,
    "ArnEquals": lambda expected, actual: actual == expected,
    "ArnLike": _like,
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def condition_holds(conditions: Mapping[str, Mapping[str, Any]], context: Mapping[str, str]) -> bool:
    """The IAM condition operators this stack uses (string and ARN, plain, negated, ``IfExists`` and the
    ``ForAnyValue``/``ForAllValues`` set qualifiers; IAM user guide, "IAM JSON policy elements: Condition operators",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html). A key
    the request does not carry matches no plain operator and every negated one. Any other operator is refused
    rather than guessed."""
    for operator, keys in conditions.items():
        qualifier, _, name = operator.rpartition(":")
        if_exists = name.endswith("IfExists")
        name = name.removesuffix("IfExists")
        negated = name in _NEGATED
        test = _OPERATORS.get(_NEGATED.get(name, name))
        if test is None or qualifier not in ("", "ForAnyValue", "ForAllValues"):
            raise TemplateError(f"the condition operator {operator} is not evaluated by this check")
        for key, expected in keys.items():
            if key not in context:
                if if_exists or negated or qualifier == "ForAllValues":
                    continue
                return False
            matched = any(test(str(e), context[key]) for e in _as_list(expected))
            if matched == negated:
                return False
    return True


def statement_applies(statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str]) -> bool:
    if "NotAction" in statement:
        action_matches = not _moto_matches(
            "Action", [a.lower() for a in _as_list(statement["NotAction"])], action.lower()
        )
    else:
        action_matches = _moto_matches("Action", [a.lower() for a in _as_list(statement["Action"])], action.lower())
    if not action_matches:
        return False
    if "NotResource" in statement:
        resource_matches = not _moto_matches("Resource", statement["NotResource"], resource)
    else:
        resource_matches = _moto_matches("Resource", statement.get("Resource", []), resource)
    return resource_matches and condition_holds(statement.get("Condition", {}), context)


def allowed(statements: Sequence[Mapping[str, Any]], action: str, resource: str, context: Mapping[str, str]) -> bool:
    """An explicit Deny wins; otherwise one Allow is needed (IAM user guide, "Policy evaluation logic",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)."""
    applying = [s for s in statements if statement_applies(s, action, resource, context)]
    return not any(s["Effect"] == "Deny" for s in applying) and any(s["Effect"] == "Allow" for s in applying)


@dataclass
class Report:
    checked: int
    denied: list[Required]
    unused: list[str]

    @property
    def ok(self) -> bool:
        return not self.denied and not self.unused

    def lines(self) -> list[str]:
        lines = [f"✘ denied: {r.describe()}" for r in self.denied]
        lines += [f"✘ granted but never called: {u}" for u in self.unused]
        return lines


def _destinations(model_id: str) -> Sequence[str]:
    # The profile routing table lives with the CDK code; jsii's Node version banner is silenced as in the Makefile.
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from photobooth_infra.bedrock_access import BedrockModel, profile_regions

    try:
        return profile_regions(BedrockModel(model_id), {})
    except ValueError:
        return ()  # routing not built in: only the profile's own ARN is checked


def denied_calls(
    template: Template,
    roles: Mapping[str, Sequence[Permission]] | None = None,
    *,
    destinations: Any = _destinations,
) -> list[Required]:
    roles = recorded() if roles is None else roles
    ids = role_ids(template)
    statements = {role: role_statements(template, ids[role]) for role in roles}
    return [
        need
        for need in required(roles, deployment(template), destinations=destinations)
        if not allowed(statements[need.role], need.action, need.resource, need.context)
    ]


def unused_grants(template: Template, roles: Mapping[str, Sequence[Permission]] | None = None) -> list[str]:
    roles = recorded() if roles is None else roles
    ids = role_ids(template)
    made = deployment(template)
    unused = []
    for role, permissions in roles.items():
        environment = made.environment.get(role, {})
        used = {
            p.action.lower()
            for p in permissions
            if all(environment.get(k, "").lower() == v.lower() for k, v in p.when.items())
        }
        reasons = {a.lower() for a in (*WHY_GRANTED["*"], *WHY_GRANTED.get(role, {}))}
        for statement in role_statements(template, ids[role]):
            if statement["Effect"] != "Allow":
                continue
            if "NotAction" in statement:
                unused.append(f"{role}: a NotAction statement grants every other action")
                continue
            for action in _as_list(statement["Action"]):
                if action.lower() not in used and action.lower() not in reasons:
                    unused.append(f"{role}: {action} ({statement.get('Sid', 'no Sid')})")
    return unused


def check(template: Template) -> Report:
    checked = len(list(required(recorded(), deployment(template), destinations=_destinations)))
    return Report(checked=checked, denied=denied_calls(template), unused=unused_grants(template))


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m photobooth_infra.iam_check",
        description="Check that each role of a synthesized photobooth template allows every AWS call its code makes "
        f"(the package's recorded calls; `{REGENERATE}` records them again) and grants nothing else.",
    )
    parser.add_argument("template", type=Path, help="e.g. cdk.out/Photobooth.template.json")
    parser.add_argument("--account", default=ACCOUNT, help="account id to resolve the template for")
    parser.add_argument("--region", default=REGION, help="region to resolve the template for")
    parser.add_argument("--partition", default=PARTITION)
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        template = Template.load(args.template, account=args.account, region=args.region, partition=args.partition)
        report = check(template)
    except (OSError, ValueError, KeyError, TemplateError) as error:
        print(f"✘ cannot check {args.template}: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    for line in report.lines():
        print(line)
    if report.ok:
        print(f"✔ every role allows the {report.checked} requests its code makes and grants nothing unused")
        return 0
    print(
        "fix: add the missing actions to the role's statements in infra/ (photobooth_infra/access.py), remove "
        "the unused ones, synthesize again and rerun this check",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
