"""How many visitors an hour the account's Bedrock quotas carry, read from Service Quotas before the event.

Bedrock limits each image model per account and region by a "requests per minute" quota, and AWS documents that the
applied values may be lower than the published defaults for a new account (Amazon Bedrock user guide, "Quotas for
Amazon Bedrock", https://docs.aws.amazon.com/bedrock/latest/userguide/quotas.html). Each visitor costs one call per
theme to the model every image asks first (and one more per theme to the upscale model with ``upscaler: bedrock``),
so the quota divided by the themes per visitor is the booth's capacity. A pace held at 80 % of the quota leaves room
for the doctor, a retry and the clock skew between the booth's minute and Bedrock's, so the doctor compares the
expected crowd with that figure.

The quotas are found by name: ``{scope} InvokeModel requests per minute for {model}`` where the scope is
``On-demand`` for a model id and ``Cross-Region`` (``Global Cross-Region`` for ``global.``) for an inference
profile, and the newer unscoped ``InvokeModel requests per minute for {model}`` ("Quotas for the bedrock-runtime
endpoint", https://docs.aws.amazon.com/bedrock/latest/userguide/quotas-runtime.html); the older ``model inference``
wording is accepted too. ``{model}`` is the model's name as Bedrock's GetFoundationModel answers it, with or without
its provider's name in front.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from photobooth.doctor.results import CheckResult, client_error_code, client_error_message

SERVICE_CODE = "bedrock"
# The share of the quota a pace may use for a whole hour (see the module's note).
SUSTAINED_SHARE = 0.8
NAME = "capacity"

_QUOTA_NAME = re.compile(
    r"^(?P<scope>.*?)\s*(?:InvokeModel|model inference) requests per minute for (?P<model>.+)$", re.IGNORECASE
)


@dataclass(frozen=True)
class CalledModel:
    """A Bedrock model each visitor's images call: its id, GetFoundationModel's names, and its role."""

    model_id: str
    model_name: str
    provider_name: str = ""
    upscaler: bool = False

    @property
    def scopes(self) -> frozenset[str]:
        """The quota scopes that limit calls by this id (the empty scope: the newer unscoped quota)."""
        geography = self.model_id.partition(".")[0] if "." in self.model_id else ""
        if geography == "global":
            return frozenset({"global cross-region", ""})
        if geography in {"us", "eu", "apac", "ap", "jp", "au", "ca", "us-gov"}:
            return frozenset({"cross-region", ""})
        return frozenset({"on-demand", ""})

    def names(self) -> frozenset[str]:
        own = _normalised(self.model_name)
        return frozenset({own, _normalised(f"{self.provider_name} {self.model_name}")}) if own else frozenset()


@dataclass(frozen=True)
class Quota:
    code: str
    name: str
    per_minute: float
    applied: bool  # False: only the AWS default was listed (the account's own value is not available)


def _normalised(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9.]+", text.lower()))


def _scope(text: str) -> str:
    return (
        _normalised(text.replace("-", " ")).replace("cross region", "cross-region").replace("on demand", "on-demand")
    )


def matching_quota(model: CalledModel, quotas: Sequence[Quota]) -> Quota | None:
    """The requests-per-minute quota that names the model in the scope its id is called in."""
    names = model.names()
    for quota in quotas:
        match = _QUOTA_NAME.match(quota.name)
        if match and _scope(match["scope"]) in model.scopes and _normalised(match["model"]) in names:
            return quota
    return None


def _pages(service_quotas: Any, operation: str) -> Iterator[dict]:
    kwargs: dict[str, Any] = {"ServiceCode": SERVICE_CODE, "MaxResults": 100}
    while True:
        page = getattr(service_quotas, operation)(**kwargs)
        yield from page.get("Quotas", [])
        if not page.get("NextToken"):
            return
        kwargs["NextToken"] = page["NextToken"]


def _read(service_quotas: Any, operation: str, *, applied: bool) -> list[Quota]:
    return [
        Quota(q["QuotaCode"], q["QuotaName"], float(q["Value"]), applied)
        for q in _pages(service_quotas, operation)
        if q.get("QuotaName") and q.get("QuotaCode") and q.get("Value") is not None
    ]


def quota_list(region: str) -> str:
    return f"https://{region}.console.aws.amazon.com/servicequotas/home/services/{SERVICE_CODE}/quotas"


def quota_page(region: str, code: str) -> str:
    """The Service Quotas console page of one quota, where its increase is requested."""
    return f"{quota_list(region)}/{code}"


def visitors_per_hour(per_minute: float, calls_per_visitor: int, share: float = 1.0) -> int:
    return math.floor(per_minute * share * 60 / calls_per_visitor)


def check_capacity(
    service_quotas: Any,
    models: Sequence[CalledModel],
    *,
    themes_per_visitor: int,
    expected_visitors_per_hour: int | None,
    pace_per_minute: float,
    region: str,
) -> CheckResult:
    """One line: the visitors an hour the first image model's (and the upscaler's) quota carries, at the full quota
    and at 80 % of it, against ``expected_visitors_per_hour``; the fallback models' own capacity is named as a
    reserve, since a throttled call moves on to them (photobooth.aws.bedrock). The booth itself never calls faster
    than ``pace_per_minute`` (model_calls_per_minute, photobooth.pacing): that pace is its capacity, and a pace above
    80 % of the quota is refused before the event throttles it."""
    try:
        quotas = _read(service_quotas, "list_service_quotas", applied=True)
        found = {m.model_id: matching_quota(m, quotas) for m in models}
        if any(quota is None for quota in found.values()):
            # ListServiceQuotas leaves out quotas whose applied value is not available: the AWS default then holds.
            defaults = _read(service_quotas, "list_aws_default_service_quotas", applied=False)
            found = {m.model_id: found[m.model_id] or matching_quota(m, defaults) for m in models}
    except ClientError as error:
        denied = client_error_code(error) in {"AccessDeniedException", "AccessDenied"}
        return CheckResult.failed(
            NAME,
            f"the Bedrock quotas in {region} are not readable: {client_error_message(error)}",
            "allow servicequotas:ListServiceQuotas and servicequotas:ListAWSDefaultServiceQuotas for the credentials "
            f"you run this with, or read the models' requests-per-minute quotas at {quota_list(region)}"
            if denied
            else "run doctor again in a few minutes",
        )
    return _judge(models, found, themes_per_visitor, expected_visitors_per_hour, pace_per_minute, region)


def _judge(
    models: Sequence[CalledModel],
    found: Mapping[str, Quota | None],
    themes: int,
    expected: int | None,
    pace: float,
    region: str,
) -> CheckResult:
    image_models = [m for m in models if not m.upscaler]
    first, fallbacks = image_models[0], image_models[1:]
    limits = [m for m in (first, *[m for m in models if m.upscaler]) if found[m.model_id] is not None]
    unlisted = [m.model_id for m in (first, *[m for m in models if m.upscaler]) if found[m.model_id] is None]
    per_visitor = f"{themes} theme{'s' if themes != 1 else ''} per visitor"
    paced = visitors_per_hour(pace, themes)
    pace_part = f"the booth paces its model calls at {pace:g} a minute (model_calls_per_minute)"
    if not limits:
        # Bedrock limits some models by tokens only ("Quotas for the bedrock-runtime endpoint"); a quota named
        # otherwise than the model is not guessed at either: the operator is sent to the list.
        named = ", ".join(
            f"{m.model_id} ({m.model_name or 'no name'})" for m in (first, *[m for m in models if m.upscaler])
        )
        said = (
            f"Service Quotas in {region} lists no requests-per-minute quota naming {named}, so no visitors-per-hour "
            f"figure from a quota: Bedrock limits such a model by tokens only; the account's Bedrock quotas are at "
            f"{quota_list(region)}; {pace_part}: {paced} visitors an hour"
        )
        if expected is not None and expected > paced:
            return CheckResult.failed(
                NAME,
                f"{said}; fewer than the {expected} expected (expected_visitors_per_hour)",
                f"set model_calls_per_minute to {_pace_for(expected, themes):g}, within the models' quotas",
            )
        return CheckResult.passed(NAME, said)
    # The tightest quota of the calls every visitor makes decides.
    tightest = min(limits, key=lambda m: _quota(found, m).per_minute)
    quota = _quota(found, tightest)
    full = visitors_per_hour(quota.per_minute, themes)
    sustained = visitors_per_hour(quota.per_minute, themes, SUSTAINED_SHARE)
    parts = [
        f"{per_visitor}; {tightest.model_id} may take {quota.per_minute:g} requests a minute "
        f"({quota.name}{'' if quota.applied else ', the AWS default: the account lists no value of its own'})",
        f"{full} visitors an hour at the full quota, {sustained} an hour sustained at 80 % of it",
    ]
    reserve = [
        f"{m.model_id} {_quota(found, m).per_minute:g} a minute" for m in fallbacks if found[m.model_id] is not None
    ]
    if reserve:
        parts.append(f"fallback when it is busy: {', '.join(reserve)}")
    if unlisted:
        parts.append(f"no requests-per-minute quota listed for {', '.join(unlisted)}")
    allowed = math.floor(quota.per_minute * SUSTAINED_SHARE)
    if pace > quota.per_minute * SUSTAINED_SHARE:
        parts.append(
            f"{pace_part}, above 80 % of {tightest.model_id}'s quota ({allowed} a minute): calls past the quota are "
            "throttled"
        )
        return CheckResult.failed(
            NAME,
            "; ".join(parts),
            f"set model_calls_per_minute to {allowed} or less, or ask for more requests a minute for "
            f"{tightest.model_id} at {quota_page(region, quota.code)}",
        )
    parts.append(f"{pace_part}: {paced} visitors an hour")
    if expected is None:
        parts.append("set expected_visitors_per_hour to have it compared")
        return CheckResult.passed(NAME, "; ".join(parts))
    if expected <= paced:
        parts.append(f"enough for the {expected} expected")
        return CheckResult.passed(NAME, "; ".join(parts))
    parts.append(f"fewer than the {expected} expected (expected_visitors_per_hour)")
    needed_pace = _pace_for(expected, themes)
    if expected <= sustained:  # the quota carries the crowd: the booth's own pace holds it back
        return CheckResult.failed(
            NAME,
            "; ".join(parts),
            f"set model_calls_per_minute to {needed_pace:g} (80 % of the quota allows up to {allowed})",
        )
    return CheckResult.failed(
        NAME,
        "; ".join(parts),
        _fix(tightest, quota, fallbacks, found, themes, expected, region)
        + f"; with any of these, set model_calls_per_minute to what the new figure allows ({needed_pace:g} for "
        f"{expected} an hour with {themes} theme{'s' if themes != 1 else ''})",
    )


def _pace_for(visitors_an_hour: int, themes: int) -> float:
    """The model calls a minute that serve ``visitors_an_hour`` with ``themes`` each."""
    return math.ceil(visitors_an_hour * themes / 60 * 10) / 10


def _quota(found: Mapping[str, Quota | None], model: CalledModel) -> Quota:
    quota = found[model.model_id]
    assert quota is not None, model.model_id
    return quota


def _fix(
    tightest: CalledModel,
    quota: Quota,
    fallbacks: Sequence[CalledModel],
    found: Mapping[str, Quota | None],
    themes: int,
    expected: int,
    region: str,
) -> str:
    fixes = []
    most_themes = math.floor(quota.per_minute * SUSTAINED_SHARE * 60 / expected)
    if 1 <= most_themes < themes:
        fixes.append(f"offer {most_themes} theme{'s' if most_themes != 1 else ''} per visitor (default_themes)")
    if not tightest.upscaler:
        better = [
            m.model_id
            for m in fallbacks
            if (q := found[m.model_id]) is not None
            and visitors_per_hour(q.per_minute, themes, SUSTAINED_SHARE) >= expected
        ]
        if better:
            fixes.append(f"put {better[0]} first in bedrock_model_ids (its quota carries {expected} an hour)")
    else:
        fixes.append('set upscaler to "lanczos" (no upscale call)')
    needed = math.ceil(expected * themes / 60 / SUSTAINED_SHARE)
    fixes.append(f"ask for {needed} requests a minute for {tightest.model_id} at {quota_page(region, quota.code)}")
    return "; or ".join(fixes)
