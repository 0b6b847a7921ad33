"""What the configured Bedrock models need from IAM: model and inference-profile ARNs, and Marketplace rights.

A cross-region inference profile (``us.stability.stable-image-inpaint-v1:0``) is called in the source region and
Bedrock may run the request in any of the profile's destination regions. IAM checks the profile's ARN in the source
region and the foundation model's ARN in the region that serves the request, so the generate function needs the
model in every destination region (Amazon Bedrock user guide, "Prerequisites for inference profiles",
https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Aws
from aws_cdk import aws_iam as iam

# Source and destination regions of the inference profiles this project knows, by profile id prefix. Amazon
# Bedrock user guide, "Supported Regions and models for inference profiles"
# (https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html): each US Stability image
# service profile (us.stability.stable-image-inpaint-v1:0, us.stability.stable-outpaint-v1:0, ...) is called from
# us-east-1, us-east-2 or us-west-2 and routed to any of the three. Routing differs per model even within one
# geography (some US profiles also reach us-west-1), so other profiles need ``inference_profile_regions``.
PROFILE_REGIONS: dict[str, tuple[str, ...]] = {"us.stability.": ("us-east-1", "us-east-2", "us-west-2")}

# Geography prefixes of cross-region inference profile ids.
_GEOGRAPHIES = ("us", "eu", "apac", "jp", "au", "ca", "us-gov", "global")

# Providers whose Bedrock models are not sold through AWS Marketplace, so no subscription happens on first use
# (Amazon Bedrock user guide, "Use product ID condition keys to control access",
# https://docs.aws.amazon.com/bedrock/latest/userguide/model-access-product-ids.html).
_NOT_ON_MARKETPLACE = frozenset({"amazon", "deepseek", "mistral", "meta", "qwen", "openai"})


@dataclass(frozen=True)
class BedrockModel:
    """A configured model id: a foundation model (``stability.x-v1:0``) or an inference profile (``us.…``)."""

    model_id: str

    @property
    def geography(self) -> str | None:
        prefix = self.model_id.split(".", 1)[0]
        return prefix if prefix in _GEOGRAPHIES and "." in self.model_id else None

    @property
    def foundation_model(self) -> str:
        return self.model_id.split(".", 1)[1] if self.geography else self.model_id

    @property
    def provider(self) -> str:
        return self.foundation_model.split(".", 1)[0]

    @property
    def sold_through_marketplace(self) -> bool:
        return self.provider not in _NOT_ON_MARKETPLACE


def profile_regions(model: BedrockModel, overrides: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """The regions an inference profile may route a request to (and call it from)."""
    if model.model_id in overrides:
        return tuple(overrides[model.model_id])
    known = _known_regions(model)
    if known is not None:
        return known
    raise ValueError(
        f"the destination regions of inference profile {model.model_id} are not known here: list them in "
        f'"inference_profile_regions", e.g. {{"{model.model_id}": ["...", "..."]}}, from the model\'s page in the '
        "Amazon Bedrock user guide"
    )


def _known_regions(model: BedrockModel) -> tuple[str, ...] | None:
    for prefix, regions in PROFILE_REGIONS.items():
        if model.model_id.startswith(prefix):
            return regions
    return None


def bedrock_model_arns(
    model_ids: Sequence[str],
    *,
    source_regions: Sequence[str],
    profile_overrides: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """``bedrock:InvokeModel`` resources: each plain model in the source regions; each inference profile in the
    source regions plus its foundation model in every region the profile routes to."""
    overrides = profile_overrides or {}
    partition, account = Aws.PARTITION, Aws.ACCOUNT_ID
    arns: list[str] = []
    for model in map(BedrockModel, model_ids):
        if model.geography is None:
            arns += [f"arn:{partition}:bedrock:{r}::foundation-model/{model.model_id}" for r in source_regions]
            continue
        arns += [f"arn:{partition}:bedrock:{r}:{account}:inference-profile/{model.model_id}" for r in source_regions]
        arns += [
            f"arn:{partition}:bedrock:{r}::foundation-model/{model.foundation_model}"
            for r in profile_regions(model, overrides)
        ]
    return list(dict.fromkeys(arns))


def profile_source_regions(
    model_ids: Sequence[str], profile_overrides: Mapping[str, Sequence[str]] | None = None
) -> tuple[str, ...] | None:
    """The regions every inference profile of the table above may be called from, or None without one. (For those
    profiles the source regions are the destination regions; an operator's ``inference_profile_regions`` names
    destinations only, so such a profile is not checked here.)"""
    overrides = profile_overrides or {}
    allowed: set[str] | None = None
    for model in map(BedrockModel, model_ids):
        known = _known_regions(model)
        if known is not None and model.model_id not in overrides:
            allowed = set(known) if allowed is None else allowed & set(known)
    return None if allowed is None else tuple(sorted(allowed))


def check_profile_source_regions(
    model_ids: Sequence[str],
    source_regions: Sequence[str],
    profile_overrides: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Refuse a known region from which a configured inference profile cannot be called (Bedrock answers
    ValidationException there, and every photo would fail)."""
    allowed = profile_source_regions(model_ids, profile_overrides)
    if allowed is None:
        return
    wrong = [r for r in source_regions if r not in allowed]
    if wrong:
        raise ValueError(
            f"the inference profiles in bedrock_model_ids can only be called from {', '.join(allowed)}, not from "
            f"{', '.join(wrong)}: set bedrock_regions to one of those regions (the functions call Bedrock there)"
        )


def marketplace_models(model_ids: Sequence[str]) -> list[str]:
    return [m for m in model_ids if BedrockModel(m).sold_through_marketplace]


def marketplace_statements(
    invoked_model_ids: Sequence[str], product_ids: Sequence[str] = ()
) -> list[iam.PolicyStatement]:
    """What the generate role keeps of AWS Marketplace (docs/decisions.md, 2026-12-07).

    The first invocation of a third-party model (Stability) subscribes the account with the caller's permissions
    (Amazon Bedrock user guide, "Access Amazon Bedrock foundation models",
    https://docs.aws.amazon.com/bedrock/latest/userguide/model-access.html). ``photobooth doctor`` makes that
    subscription with the operator's credentials, once, so the role needs no ``Subscribe``/``Unsubscribe`` on every
    product for ever: it keeps ``ViewSubscriptions`` (each invocation checks the subscription) and, when the
    operator names the products (``marketplace_product_ids``), ``Subscribe`` limited to them by the
    ``aws-marketplace:ProductId`` condition, so that a model added later still subscribes itself. The actions have
    no resource-level permissions: ``*`` with the condition is the narrowest grant."""
    if not marketplace_models(invoked_model_ids):
        return []
    statements = [
        iam.PolicyStatement(
            sid="ViewModelSubscriptions", actions=["aws-marketplace:ViewSubscriptions"], resources=["*"]
        )
    ]
    if product_ids:
        statements.append(
            iam.PolicyStatement(
                sid="SubscribeToNamedModels",
                actions=["aws-marketplace:Subscribe"],
                resources=["*"],
                conditions={"ForAnyValue:StringEquals": {"aws-marketplace:ProductId": list(product_ids)}},
            )
        )
    return statements
