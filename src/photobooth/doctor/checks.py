"""The doctor's checks: plain functions of injected boto3 clients, each returning one :class:`CheckResult`.

Every call here is read-only except three. :func:`check_model_invocation` makes one real 512x512 image per model
(billed like a visitor's image: $0.04-0.08 with Stability's models; the README's "What it costs") and
:func:`check_upscale_invocation` one upscale when the upscaler is Bedrock's: nothing cheaper proves that the account
may use the model and that the model accepts the request format :mod:`photobooth.aws.bedrock` sends (Bedrock
validates access and the body only when it runs the model). :func:`check_model_access` subscribes the account to a
model sold through AWS Marketplace that it is not subscribed to yet, with the operator's credentials: the generate
function's role no longer may (docs/decisions.md, 2026-12-07).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from botocore.exceptions import BotoCoreError, ClientError
from PIL import Image

from photobooth.doctor.deployment import GenerateFunction
from photobooth.doctor.results import CheckResult, client_error_code, client_error_message
from photobooth.errors import PhotoboothError
from photobooth.models import Theme

# Geographic prefixes of Bedrock's cross-region inference profile ids (``us.stability.…``).
_PROFILE_GEOGRAPHIES = frozenset({"us", "eu", "apac", "ap", "jp", "au", "ca", "us-gov", "global"})
ACTIVE_MODEL_EXAMPLE = "us.stability.stable-image-inpaint-v1:0"
_INFRA_CONFIG = "your infra config (-c config=…)"
_MARKETPLACE_ACTIONS = "aws-marketplace:Subscribe, aws-marketplace:Unsubscribe and aws-marketplace:ViewSubscriptions"
# The upscale model is checked like an image model, but it is configured apart (infra/photobooth_infra/config.py):
# it is not in bedrock_model_ids, and a print is grown with Lanczos without it.
_REPLACE_UPSCALER = (
    f'set upscale_model_id in {_INFRA_CONFIG} to an Active upscale model, or upscaler to "lanczos" (prints are then '
    "grown without a model), then deploy again"
)

# What Bedrock answers for a model it does not list in the region asked.
_NOT_HERE_CODES = frozenset({"ResourceNotFoundException", "ValidationException"})

_PROBE_SIZE = 512  # in Titan's size table and above Nova's and Stability's minimum sides
_PROBE_THEME = Theme(name="doctor", label="doctor", prompt="a plain light grey photo studio backdrop")
_PROBE_SEED = 7


def split_profile_id(model_id: str) -> tuple[str | None, str]:
    """``("us", "stability.stable-image-inpaint-v1:0")`` for a profile id; ``(None, model_id)`` otherwise."""
    geography, _, rest = model_id.partition(".")
    if rest and geography in _PROFILE_GEOGRAPHIES:
        return geography, rest
    return None, model_id


def _date(moment: datetime | None) -> str:
    return moment.date().isoformat() if moment else "not announced"


def _first_answer(bedrock_clients: Sequence[Any], call: Callable[[Any], dict]) -> dict | ClientError:
    """The first region's answer. A cross-region profile's model may be unknown in the calling region and listed in
    the regions the profile routes to, so "not found" there moves on to the next region."""
    return _first_answer_and_client(bedrock_clients, call)[0]


def _first_answer_and_client(
    bedrock_clients: Sequence[Any], call: Callable[[Any], dict]
) -> tuple[dict | ClientError, Any]:
    last: ClientError | None = None
    for bedrock in bedrock_clients:
        try:
            return call(bedrock), bedrock
        except ClientError as error:
            if client_error_code(error) not in _NOT_HERE_CODES:
                return error, bedrock
            last = error
    assert last is not None, "at least one region is asked"
    return last, bedrock_clients[-1]


def read_foundation_model(bedrock_clients: Sequence[Any], model_id: str) -> dict | ClientError:
    """GetFoundationModel's answer for the model behind ``model_id``, from the first region that lists it."""
    _, foundation_model = split_profile_id(model_id)
    return _first_answer(
        bedrock_clients, lambda bedrock: bedrock.get_foundation_model(modelIdentifier=foundation_model)
    )


def check_model_lifecycle(
    bedrock_clients: Sequence[Any],
    model_id: str,
    *,
    first: bool,
    now: datetime,
    upscaler: bool = False,
    answer: dict | ClientError | None = None,
) -> CheckResult:
    """Active passes. Legacy passes only as a fallback before its end of life, or as the upscale model (``upscaler``)
    with the date to replace it by. ``bedrock_clients``: the calling region's client first, then those of the
    regions a profile routes to. ``answer``: :func:`read_foundation_model`'s, when the caller has read it."""
    name = f"model {model_id}: lifecycle"
    _, foundation_model = split_profile_id(model_id)
    if answer is None:
        answer = read_foundation_model(bedrock_clients, model_id)
    if isinstance(answer, ClientError):
        if client_error_code(answer) == "AccessDeniedException":
            return CheckResult.failed(
                name,
                client_error_message(answer),
                "allow bedrock:GetFoundationModel for the credentials you run this with",
            )
        regions = ", ".join(b.meta.region_name for b in bedrock_clients)
        return CheckResult.failed(
            name,
            f"Bedrock does not know {foundation_model} in {regions}: {client_error_message(answer)}",
            _REPLACE_UPSCALER
            if upscaler
            else f"use an id listed by `aws bedrock list-foundation-models --by-output-modality IMAGE` in "
            f"bedrock_model_ids of {_INFRA_CONFIG}, then deploy again",
        )
    details = answer["modelDetails"]
    lifecycle = details.get("modelLifecycle", {})
    status = lifecycle.get("status", "unknown")
    end_of_life: datetime | None = lifecycle.get("endOfLifeTime")
    if status == "ACTIVE":
        return CheckResult.passed(name, "Active")
    remove = (
        _REPLACE_UPSCALER
        if upscaler
        else f"remove {model_id} from bedrock_model_ids in {_INFRA_CONFIG}, keep an Active model such as "
        f"{ACTIVE_MODEL_EXAMPLE} first, then deploy again"
    )
    if end_of_life is not None and end_of_life <= now:
        return CheckResult.failed(name, f"{status.capitalize()}, end of life since {_date(end_of_life)}", remove)
    if upscaler:
        return CheckResult.passed(
            name,
            f"{status.capitalize()}, end of life {_date(end_of_life)}: set upscale_model_id to an Active model "
            "before then",
        )
    if first:
        return CheckResult.failed(
            name,
            f"{status.capitalize()} (end of life {_date(end_of_life)}) and tried first for every image",
            f"put an Active model such as {ACTIVE_MODEL_EXAMPLE} first in bedrock_model_ids of {_INFRA_CONFIG}; "
            f"keep {model_id} after it only until {_date(end_of_life)}",
        )
    return CheckResult.passed(name, f"{status.capitalize()}, end of life {_date(end_of_life)}: a fallback only")


def check_model_access(bedrock_clients: Sequence[Any], model_id: str) -> CheckResult:
    """Bedrock's own view of the account's access: authorization, entitlement, region and, for models sold through
    AWS Marketplace (every provider but Amazon), the subscription that the first invocation starts."""
    name = f"model {model_id}: access and Marketplace subscription"
    geography, foundation_model = split_profile_id(model_id)
    bedrock = bedrock_clients[0]
    answer, lists_it = _first_answer_and_client(
        bedrock_clients, lambda client: client.get_foundation_model_availability(modelId=foundation_model)
    )
    if isinstance(answer, ClientError):
        return CheckResult.failed(
            name,
            client_error_message(answer),
            "allow bedrock:GetFoundationModelAvailability for the credentials you run this with",
        )
    availability = answer
    problems: list[tuple[str, str]] = []
    if availability.get("authorizationStatus") == "NOT_AUTHORIZED":
        problems.append(
            (
                "the account is not authorized to use it",
                "look for an IAM policy or organization SCP that denies bedrock:InvokeModel on this model",
            )
        )
    if availability.get("entitlementAvailability") == "NOT_AVAILABLE":
        problems.append(
            (
                "no entitlement",
                f"invoke the model once with credentials that have {_MARKETPLACE_ACTIONS} (this doctor does), or "
                "subscribe in the Bedrock console's Model catalog",
            )
        )
    # A profile's model may be missing in the calling region and still be served in the regions it routes to.
    if geography is None and availability.get("regionAvailability") == "NOT_AVAILABLE":
        problems.append(
            (
                f"not offered in {bedrock.meta.region_name}",
                f"use its cross-region inference profile id (e.g. us.{foundation_model}) or a region that offers it "
                f"(bedrock_regions in {_INFRA_CONFIG})",
            )
        )
    agreement = availability.get("agreementAvailability", {})
    agreement_status = agreement.get("status", "unknown")
    if not foundation_model.startswith("amazon."):
        if agreement_status == "PENDING":
            problems.append(
                ("the Marketplace subscription is still being set up", "wait up to 15 minutes and run doctor again")
            )
        elif agreement_status == "ERROR":
            problems.append(
                (
                    f"the Marketplace subscription failed: {agreement.get('errorMessage', 'no reason given')}",
                    "give the account a valid payment method for AWS Marketplace purchases, then invoke the model "
                    "again (run doctor again)",
                )
            )
        elif agreement_status != "AVAILABLE":
            problems.append(subscribe(lists_it, foundation_model))
    if problems:
        return CheckResult.failed(name, "; ".join(p for p, _ in problems), "; ".join(f for _, f in problems))
    if foundation_model.startswith("amazon."):
        return CheckResult.passed(name, "authorized (Amazon's models need no Marketplace subscription)")
    return CheckResult.passed(name, "authorized and subscribed through AWS Marketplace")


def subscribe(bedrock: Any, foundation_model: str) -> tuple[str, str]:
    """Accept the model's public AWS Marketplace offer for the account, with the operator's credentials, and say
    what follows. Bedrock's own first-use subscription would need aws-marketplace:Subscribe on the generate
    function's role for ever (Amazon Bedrock user guide, "Access Amazon Bedrock foundation models",
    https://docs.aws.amazon.com/bedrock/latest/userguide/model-access.html); the subscription takes effect within
    about 15 minutes, so the check still fails this time."""
    try:
        offers = bedrock.list_foundation_model_agreement_offers(modelId=foundation_model, offerType="PUBLIC")
        tokens = [offer["offerToken"] for offer in offers.get("offers", []) if offer.get("offerToken")]
        if not tokens:
            return (
                "no Marketplace subscription yet, and Bedrock lists no public offer to subscribe to",
                "subscribe in the Bedrock console's Model catalog, or choose another model",
            )
        bedrock.create_foundation_model_agreement(offerToken=tokens[0], modelId=foundation_model)
    except ClientError as error:
        return (
            f"no Marketplace subscription yet, and the doctor could not subscribe: {client_error_message(error)}",
            "run photobooth doctor with credentials allowed bedrock:ListFoundationModelAgreementOffers, "
            f"bedrock:CreateFoundationModelAgreement and {_MARKETPLACE_ACTIONS} (the generate function's role "
            "no longer subscribes by itself)",
        )
    return (
        "no Marketplace subscription yet: the doctor has just subscribed the account with your credentials",
        "wait up to 15 minutes for the subscription to take effect, then run photobooth doctor again",
    )


def probe_image() -> tuple[Image.Image, np.ndarray]:
    """A small synthetic "portrait": a grey gradient and an ellipse that stands for the person (255 = person)."""
    ys, xs = np.mgrid[0:_PROBE_SIZE, 0:_PROBE_SIZE]
    gradient = (96 + 96 * xs / _PROBE_SIZE).astype(np.uint8)
    image = Image.fromarray(np.dstack([gradient, gradient, gradient]), mode="RGB")
    centre = _PROBE_SIZE / 2
    person = ((xs - centre) / (_PROBE_SIZE / 5)) ** 2 + ((ys - centre) / (_PROBE_SIZE / 3)) ** 2 <= 1.0
    return image, np.where(person, 255, 0).astype(np.uint8)


def check_model_invocation(
    runtime: Any, model_id: str, *, clock: Callable[[], float] = time.monotonic
) -> CheckResult:
    """One real image with the request :mod:`photobooth.aws.bedrock` builds (see the module's note on cost)."""
    from photobooth.aws.bedrock import build_request, parse_response

    name = f"model {model_id}: one 512x512 image"
    region = runtime.meta.region_name
    image, mask = probe_image()
    try:
        body = build_request(model_id, image, mask, _PROBE_THEME, _PROBE_SEED)
    except ValueError as error:
        return CheckResult.failed(
            name, str(error), "use a Titan Image Generator, Nova Canvas or Stability inpaint model id"
        )
    started = clock()
    try:
        answer = runtime.invoke_model(
            modelId=model_id,
            body=json.dumps(body).encode("utf-8"),
            contentType="application/json",
            accept="application/json",
        )
        parse_response(model_id, json.loads(answer["body"].read()))
    except ClientError as error:
        return _invocation_failed(name, model_id, region, error)
    except (PhotoboothError, ValueError) as error:  # filtered, an error field, or no decodable image
        return CheckResult.failed(
            name,
            f"the model answered without a usable image: {type(error).__name__}: {error}",
            "run doctor again in a few minutes; if it persists, remove this model from bedrock_model_ids",
        )
    except BotoCoreError as error:
        return CheckResult.failed(name, f"{type(error).__name__}: {error}", "check the network path to Bedrock")
    return CheckResult.passed(name, f"answered with an image in {clock() - started:.1f} s ({region})")


def check_upscale_invocation(
    runtime: Any, model_id: str, *, clock: Callable[[], float] = time.monotonic
) -> CheckResult:
    """One real upscale of a small picture with the request :mod:`photobooth.aws.upscale` sends. The upscaler falls
    back to Lanczos on any failure, so a refusal would only show as prints that are not what was paid for."""
    from photobooth.aws.upscale import build_request

    name = f"upscale model {model_id}: one upscale"
    region = runtime.meta.region_name
    image, _ = probe_image()
    started = clock()
    try:
        answer = runtime.invoke_model(
            modelId=model_id,
            body=json.dumps(build_request(image.resize((256, 256)))).encode("utf-8"),
            contentType="application/json",
            accept="application/json",
        )
        body = json.loads(answer["body"].read())
    except ClientError as error:
        return _invocation_failed(name, model_id, region, error, upscaler=True)
    except BotoCoreError as error:
        return CheckResult.failed(name, f"{type(error).__name__}: {error}", "check the network path to Bedrock")
    reasons = [reason for reason in body.get("finish_reasons") or [] if reason is not None]
    if reasons or not body.get("images"):
        return CheckResult.failed(
            name,
            f"the model answered without an image: {', '.join(map(str, reasons)) or 'no image'}",
            f"run doctor again in a few minutes; if it persists, {_REPLACE_UPSCALER}",
        )
    return CheckResult.passed(name, f"answered with an image in {clock() - started:.1f} s ({region})")


def _invocation_failed(
    name: str, model_id: str, region: str, error: ClientError, *, upscaler: bool = False
) -> CheckResult:
    code = client_error_code(error)
    message = client_error_message(error)
    detail = f"{code}: {message}"
    geography, foundation_model = split_profile_id(model_id)
    setting = "upscale_model_id" if upscaler else "bedrock_model_ids"
    sender = "photobooth.aws.upscale" if upscaler else "photobooth.aws.bedrock"
    remove = _REPLACE_UPSCALER if upscaler else f"remove it from bedrock_model_ids in {_INFRA_CONFIG}"
    if code == "AccessDeniedException" and foundation_model.startswith("amazon."):
        fix = (
            "give the credentials you run this with bedrock:InvokeModel on this model; a Legacy model also answers "
            f"this to accounts that have not used it lately: then {remove}"
        )
    elif code == "AccessDeniedException":
        fix = (
            f"give the credentials that invoke it bedrock:InvokeModel and {_MARKETPLACE_ACTIONS} (the first "
            "invocation subscribes the account), give the account a payment method for AWS Marketplace, wait up "
            "to 15 minutes and run doctor again"
        )
    elif code == "ResourceNotFoundException":
        fix = f"{model_id} is not served in {region}: use a region or inference profile that serves it, or {remove}"
    elif code in {"ThrottlingException", "ServiceQuotaExceededException"}:
        fix = "request a higher images-per-minute quota for this model in Service Quotas, or run doctor again later"
    elif code == "ValidationException" and geography is None:
        fix = (
            f"if the message asks for an inference profile, use us.{foundation_model} (or your geography's prefix) "
            f"in {setting}; if it names a request field, {sender} sends a body this model "
            "refuses: report it with this line"
        )
    elif code == "ValidationException":
        fix = (
            f"{sender} sends a body this model refuses (the message names the field): report it with "
            f"this line, and until then {remove}"
        )
    else:
        fix = "run doctor again in a few minutes; if it persists, look at the AWS Health dashboard for Bedrock"
    return CheckResult.failed(name, detail, fix)


@dataclass(frozen=True)
class InferenceProfile:
    model_id: str
    arn: str
    status: str
    model_arns: tuple[str, ...]

    @property
    def regions(self) -> list[str]:
        return sorted({arn.split(":")[3] for arn in self.model_arns})


def read_inference_profile(bedrock: Any, model_id: str) -> InferenceProfile | CheckResult:
    """The profile behind a ``us.``-style id, or the failed check that says why it cannot be read."""
    try:
        profile = bedrock.get_inference_profile(inferenceProfileIdentifier=model_id)
    except ClientError as error:
        return CheckResult.failed(
            f"inference profile {model_id}",
            client_error_message(error),
            f"use a profile listed by `aws bedrock list-inference-profiles --region {bedrock.meta.region_name}` "
            f"in bedrock_model_ids of {_INFRA_CONFIG}",
        )
    return InferenceProfile(
        model_id=model_id,
        arn=profile["inferenceProfileArn"],
        status=profile.get("status", "unknown"),
        model_arns=tuple(m["modelArn"] for m in profile.get("models", [])),
    )


def check_inference_profile(profile: InferenceProfile, iam: Any, function: GenerateFunction) -> CheckResult:
    """The regions the profile routes to, and whether the generate function's role may invoke the profile and its
    model in every one of them (IAM's policy simulator, which changes nothing)."""
    name = f"inference profile {profile.model_id}"
    regions = profile.regions
    if profile.status != "ACTIVE":
        return CheckResult.failed(
            name, f"status {profile.status}", f"choose an active profile for bedrock_model_ids in {_INFRA_CONFIG}"
        )
    denied = _denied_resources(iam, function.role_arn, [profile.arn, *profile.model_arns])
    if isinstance(denied, CheckResult):
        return CheckResult.failed(name, denied.detail, denied.fix)
    routes = f"routes to {', '.join(regions)}"
    if denied:
        missing = sorted({arn.split(":")[3] or "the profile" for arn in denied})
        wanted = ", ".join(dict.fromkeys([function.bedrock_region, *regions]))
        return CheckResult.failed(
            name,
            f"{routes}, but the generate function's role may not invoke it in {', '.join(missing)}",
            f"set bedrock_regions in {_INFRA_CONFIG} to {wanted} (the first is called) and deploy again",
        )
    return CheckResult.passed(name, f"{routes}; the generate function's role may invoke it in all of them")


def check_function_may_invoke(iam: Any, model_id: str, function: GenerateFunction) -> CheckResult:
    """For a plain model id: the generate function's role may invoke it in the region the function calls."""
    name = f"model {model_id}: the generate function may invoke it"
    arn = f"arn:{function.partition}:bedrock:{function.bedrock_region}::foundation-model/{model_id}"
    denied = _denied_resources(iam, function.role_arn, [arn])
    if isinstance(denied, CheckResult):
        return CheckResult.failed(name, denied.detail, denied.fix)
    if denied:
        return CheckResult.failed(
            name,
            f"bedrock:InvokeModel on {arn} is denied to {function.role_arn}",
            f"list {function.bedrock_region} in bedrock_regions and the model in bedrock_model_ids of "
            f"{_INFRA_CONFIG}, then deploy again",
        )
    return CheckResult.passed(name, f"allowed in {function.bedrock_region}")


def _denied_resources(iam: Any, role_arn: str, resources: list[str]) -> list[str] | CheckResult:
    kwargs: dict[str, Any] = {
        "PolicySourceArn": role_arn,
        "ActionNames": ["bedrock:InvokeModel"],
        "ResourceArns": resources,
    }
    denied: list[str] = []
    try:
        while True:
            page = iam.simulate_principal_policy(**kwargs)
            denied.extend(
                r["EvalResourceName"] for r in page.get("EvaluationResults", []) if r["EvalDecision"] != "allowed"
            )
            if not page.get("IsTruncated"):
                return denied
            kwargs["Marker"] = page["Marker"]
    except ClientError as error:
        return CheckResult.failed(
            "iam",
            f"IAM's policy simulator refused: {client_error_message(error)}",
            "allow iam:SimulatePrincipalPolicy on the stack's roles for the credentials you run this with",
        )


def check_sam_endpoint(sagemaker: Any, function: GenerateFunction) -> CheckResult:
    if function.segmentation_backend != "sam":
        return CheckResult.passed(
            "SAM endpoint", f"not used (segmentation_backend is {function.segmentation_backend})"
        )
    endpoint = function.sam_endpoint_name
    name = f"SAM endpoint {endpoint}"
    try:
        description = sagemaker.describe_endpoint(EndpointName=endpoint)
    except ClientError as error:
        return CheckResult.failed(
            name,
            client_error_message(error),
            "create it (sam.deploy: true with sam.model_data_url) or set segmentation_backend to selfie in "
            f"{_INFRA_CONFIG}, then deploy again",
        )
    status = description.get("EndpointStatus", "unknown")
    if status == "InService":
        return CheckResult.passed(name, "InService")
    if status in {"Creating", "Updating", "SystemUpdating", "RollingBack"}:
        return CheckResult.failed(name, status, "wait until it is InService (creating takes 5-15 minutes)")
    reason = description.get("FailureReason", "no reason given")
    return CheckResult.failed(
        name,
        f"{status}: {reason}",
        f"read the container's logs in CloudWatch (/aws/sagemaker/Endpoints/{endpoint}), fix the model artefact or "
        "instance type, and deploy again",
    )


def check_booth_key(secretsmanager: Any, secret_id: str) -> CheckResult:
    """The secret exists and holds a key (its value is never printed)."""
    name = f"booth key secret {secret_id}"
    redeploy = "deploy the stack again: it creates the secret with a random 40-character key"
    try:
        description = secretsmanager.describe_secret(SecretId=secret_id)
        if description.get("DeletedDate"):
            return CheckResult.failed(
                name,
                f"scheduled for deletion on {_date(description['DeletedDate'])}",
                f"aws secretsmanager restore-secret --secret-id {secret_id}",
            )
        value = secretsmanager.get_secret_value(SecretId=secret_id).get("SecretString") or ""
    except ClientError as error:
        return CheckResult.failed(name, client_error_message(error), redeploy)
    if not value.strip():
        return CheckResult.failed(
            name,
            "empty: no booth pad can start a photo",
            f"aws secretsmanager put-secret-value --secret-id {secret_id} --secret-string <a long random key>, "
            "then type it into each booth pad",
        )
    return CheckResult.passed(name, f"set ({len(value)} characters)")


def check_bucket_cors(s3: Any, bucket: str, origin: str) -> CheckResult:
    """The booth page (served from ``origin``) may PUT uploads to the presigned URLs with a Content-Type, and the
    phone page may GET a picture for its Share button."""
    name = f"bucket {bucket}: CORS for uploads from {origin}"
    fix = (
        "deploy the stack again: it allows PUT with Content-Type and GET from its BoothUrl and the allowed_origins "
        f"of {_INFRA_CONFIG}; a rule edited by hand in the console is replaced"
    )
    try:
        rules = s3.get_bucket_cors(Bucket=bucket).get("CORSRules", [])
    except ClientError as error:
        return CheckResult.failed(name, client_error_message(error), fix)
    mine = [rule for rule in rules if {origin, "*"} & set(rule.get("AllowedOrigins", []))]
    puts = [rule for rule in mine if "PUT" in rule.get("AllowedMethods", [])]
    if not puts:
        return CheckResult.failed(name, f"no rule allows PUT from {origin}", fix)
    headers = {h.lower() for rule in puts for h in rule.get("AllowedHeaders", [])}
    if not headers & {"*", "content-type"}:
        return CheckResult.failed(name, "PUT is allowed but not the Content-Type header", fix)
    if not [rule for rule in mine if "GET" in rule.get("AllowedMethods", [])]:
        return CheckResult.failed(
            name, f"no rule allows GET from {origin}: the phone page's Share button can only open the link", fix
        )
    return CheckResult.passed(name, "PUT with Content-Type and GET allowed")


def check_alarms(cloudwatch: Any, alarm_names: Iterable[str], *, dashboard: str | None) -> CheckResult:
    names = list(alarm_names)
    name = "alarms"
    in_alarm: list[str] = []
    # DescribeAlarms takes at most 100 names per call.
    for start in range(0, len(names), 100):
        answer = cloudwatch.describe_alarms(AlarmNames=names[start : start + 100])
        for alarm in [*answer.get("MetricAlarms", []), *answer.get("CompositeAlarms", [])]:
            if alarm.get("StateValue") == "ALARM":
                in_alarm.append(alarm["AlarmName"])
    if in_alarm:
        where = f"the dashboard {dashboard}" if dashboard else "the CloudWatch console"
        return CheckResult.failed(
            name,
            f"{len(in_alarm)} of {len(names)} in ALARM: {', '.join(sorted(in_alarm))}",
            f"open {where}; each alarm's description says what failed. It returns to OK by itself after 15 quiet "
            "minutes once the cause is fixed",
        )
    return CheckResult.passed(name, f"none of {len(names)} in ALARM")
