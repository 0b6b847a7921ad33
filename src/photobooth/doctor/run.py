"""Runs every check against one deployed stack, prints one line per check, and answers the exit code."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from photobooth.doctor import checks
from photobooth.doctor.capacity import CalledModel, check_capacity
from photobooth.doctor.deployment import Deployment, DeploymentUnreadable, read_deployment
from photobooth.doctor.photo import DEFAULT_PHOTO_RUN, HttpClient, PhotoRunSettings, UrllibHttp, run_photo
from photobooth.doctor.results import CheckResult, client_error_message
from photobooth.doctor.roles import check_roles

# An image takes Bedrock tens of seconds; one attempt, because the doctor reports rather than recovers.
_BEDROCK_RUNTIME_CONFIG = Config(read_timeout=120, retries={"mode": "standard", "max_attempts": 1})


class Clients(Protocol):
    """boto3 clients of one set of credentials; ``region`` is the stack's region."""

    region: str

    def client(self, service: str, region: str | None = None) -> Any: ...


class SessionClients:
    """The operator's default boto3 session (environment, profile or SSO), one client per service and region."""

    def __init__(self, region: str | None = None) -> None:
        self._session = boto3.Session(region_name=region)
        if not self._session.region_name:
            raise SystemExit("photobooth doctor: no AWS region: pass --region or set AWS_REGION / a profile's region")
        self.region: str = self._session.region_name
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.region)
        if key not in self._clients:
            config = _BEDROCK_RUNTIME_CONFIG if service == "bedrock-runtime" else None
            self._clients[key] = self._session.client(service, region_name=key[1], config=config)
        return self._clients[key]


def run_doctor(
    *,
    stack_name: str,
    clients: Clients,
    photo: Path | None = None,
    http: HttpClient | None = None,
    out: TextIO | None = None,
    now: datetime | None = None,
    photo_settings: PhotoRunSettings = DEFAULT_PHOTO_RUN,
) -> int:
    """0 when every check holds, 1 otherwise."""
    out = out or sys.stdout
    failed = 0
    total = 0
    results = _results(
        stack_name, clients, photo, http or UrllibHttp(), now or datetime.now(UTC), photo_settings, out
    )
    for result in _stopping_at_an_unexpected_error(results):
        total += 1
        failed += not result.ok
        print(result.render(), file=out, flush=True)
    if failed:
        print(
            f"\n{failed} of {total} checks failed: apply the fixes above and run photobooth doctor again.", file=out
        )
        return 1
    print(f"\nAll {total} checks hold.", file=out)
    return 0


def _stopping_at_an_unexpected_error(results: Iterator[CheckResult]) -> Iterator[CheckResult]:
    """A call the checks do not expect to fail (no credentials, no network, a permission the doctor lacks) ends
    the run with one last failed line instead of a traceback."""
    try:
        yield from results
    except (BotoCoreError, ClientError) as error:
        yield CheckResult.failed(
            "doctor stopped",
            f"{type(error).__name__}: {client_error_message(error)}",
            "run it with your deployment's administrator credentials (aws configure, AWS_PROFILE or aws sso login) "
            "and network access to AWS; the README's deploy section lists the permissions it uses",
        )


def _results(
    stack_name: str,
    clients: Clients,
    photo: Path | None,
    http: HttpClient,
    now: datetime,
    photo_settings: PhotoRunSettings,
    out: TextIO,
) -> Iterator[CheckResult]:
    try:
        deployment = read_deployment(
            clients.client("cloudformation"), clients.client("lambda"), stack_name=stack_name, region=clients.region
        )
    except DeploymentUnreadable as unreadable:
        yield unreadable.result
        return
    yield CheckResult.passed(f"stack {stack_name}", f"{clients.region}, booth page {deployment.booth_url}")

    yield from _model_checks(deployment, clients, now)
    yield from check_roles(deployment, clients)
    yield checks.check_sam_endpoint(clients.client("sagemaker"), deployment.generate)
    yield checks.check_booth_key(clients.client("secretsmanager"), deployment.booth_key_secret)
    yield checks.check_bucket_cors(clients.client("s3"), deployment.bucket_name, deployment.booth_url)
    yield checks.check_alarms(
        clients.client("cloudwatch"), deployment.alarm_names, dashboard=deployment.outputs.get("DashboardName")
    )
    if photo is not None:
        yield from _photo_checks(photo, deployment, clients, http, photo_settings, out)


def _model_checks(deployment: Deployment, clients: Clients, now: datetime) -> Iterator[CheckResult]:
    function = deployment.generate
    if not function.model_ids:
        yield CheckResult.failed(
            "models",
            f"the generate function {function.name} has no PHOTOBOOTH_BEDROCK_MODEL_IDS",
            "deploy this version of infra/ (it always sets the model list)",
        )
        return
    bedrock = clients.client("bedrock", function.bedrock_region)
    runtime = clients.client("bedrock-runtime", function.bedrock_region)
    iam = clients.client("iam")
    # Every image model in the list, then the upscaler when it is a Bedrock model: each is one call a visitor's
    # picture may depend on.
    checked = [*function.model_ids, *([function.upscale_model] if function.upscale_model else [])]
    called: list[CalledModel] = []
    for position, model_id in enumerate(checked):
        upscaler = position >= len(function.model_ids)
        regions = [function.bedrock_region]
        if checks.split_profile_id(model_id)[0] is None:
            access = checks.check_function_may_invoke(iam, model_id, function)
        else:
            profile = checks.read_inference_profile(bedrock, model_id)
            if isinstance(profile, CheckResult):
                access = profile
            else:
                access = checks.check_inference_profile(profile, iam, function)
                regions += [r for r in profile.regions if r != function.bedrock_region]
        bedrock_clients = [clients.client("bedrock", region) for region in regions]
        model = checks.read_foundation_model(bedrock_clients, model_id)
        details = {} if isinstance(model, ClientError) else model.get("modelDetails", {})
        called.append(
            CalledModel(
                model_id,
                model_name=details.get("modelName", ""),
                provider_name=details.get("providerName", ""),
                upscaler=upscaler,
            )
        )
        yield checks.check_model_lifecycle(
            bedrock_clients, model_id, first=position == 0, now=now, upscaler=upscaler, answer=model
        )
        yield checks.check_model_access(bedrock_clients, model_id)
        yield access
        if upscaler:
            yield checks.check_upscale_invocation(runtime, model_id)
        else:
            yield checks.check_model_invocation(runtime, model_id)
    yield check_capacity(
        clients.client("service-quotas", function.bedrock_region),
        called,
        themes_per_visitor=len(function.default_themes),
        expected_visitors_per_hour=function.expected_visitors_per_hour,
        pace_per_minute=function.model_calls_per_minute,
        region=function.bedrock_region,
    )


def _photo_checks(
    photo: Path,
    deployment: Deployment,
    clients: Clients,
    http: HttpClient,
    settings: PhotoRunSettings,
    out: TextIO,
) -> Iterator[CheckResult]:
    try:
        booth_key = clients.client("secretsmanager").get_secret_value(SecretId=deployment.booth_key_secret)
    except ClientError as error:
        yield CheckResult.failed(
            "photo", f"the booth key is not readable: {client_error_message(error)}", "see the booth key check above"
        )
        return
    report = run_photo(
        photo,
        deployment,
        booth_key=booth_key.get("SecretString") or "",
        http=http,
        dynamodb=clients.client("dynamodb"),
        stepfunctions=clients.client("stepfunctions"),
        logs=clients.client("logs"),
        settings=settings,
    )
    yield from report.checks
    for line in report.lines():
        print(line, file=out)
