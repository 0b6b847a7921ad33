"""What one visitor's photo costs on AWS: a price table with the date it was taken, and the arithmetic.

Every workflow step notes what it used (:class:`photobooth.models.StepUsage`) in the status record: the Lambda
seconds and memory it ran with, the Rekognition images it sent, the SAM endpoint seconds, and for each generated
image the Bedrock model that painted it and the size it was sent at. ``finalize`` adds its own share and the
Step Functions state transitions of the run, and stores the estimate as the record's ``cost`` (CONTRACT.md).

It is an estimate: Lambda init time, retried invocations, S3, DynamoDB, API Gateway and CloudFront are left out
(together well under a tenth of a cent per visitor), and the SAM endpoint is charged only for the seconds a request
kept it busy — the endpoint's hourly price is a fixed cost of its own (README "Cost").

Offline (``photobooth serve``/``run``) nothing is spent; the same arithmetic then shows what AWS would charge, with
the first configured Bedrock model standing in for the offline painter.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from photobooth.models import StepUsage

# A generator may name the Bedrock model that painted an image in ``image.info[MODEL_ID_INFO]`` (Pillow carries
# ``info`` through crop and resize). Without it the first configured model is assumed.
MODEL_ID_INFO = "photobooth.model_id"

# The functions' memory as deployed (infra/photobooth_infra/constants.py; tests/infra checks they agree). On Lambda
# the runtime's own AWS_LAMBDA_FUNCTION_MEMORY_SIZE wins.
DEFAULT_MEMORY_MB: dict[str, int] = {"detect_face": 1024, "segment": 2048, "generate": 1024, "finalize": 256}

# State transitions of a run (statemachine/definition.asl.json; tests/unit/test_cost.py recounts them from the file).
STATES_BEFORE_DETECT = (
    4  # "Is it a photo upload?", "Read the upload event", "Claim the request", "Book the model calls"
)
STATES_AFTER_IMAGES = 3  # "Record the result", "Was any image made?", "Images are ready" | "No image could be made"
STATES_AFTER_FAILURE = 2  # "Record the failure", "Photo could not be processed"
STATES_PER_IMAGE = (
    2  # "Wait for the model's turn", "Generate image" (+1 "Note the failed image" when its retries were spent)
)


def memory_mb(function: str) -> int:
    """The memory the running function has: Lambda's own figure, or the deployed size when run offline."""
    configured = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
    return int(configured) if configured.isdigit() else DEFAULT_MEMORY_MB[function]


class ImageTier(BaseModel):
    """The price of one image whose width x height is at most ``max_pixels`` (``None``: any size)."""

    model_config = ConfigDict(frozen=True)

    max_pixels: int | None = None
    usd: float = Field(ge=0)


class Prices(BaseModel):
    """On-demand list prices in US dollars, us-east-1 (us-west-2 is the same for every line here).

    Override with ``PHOTOBOOTH_PRICES`` (JSON; unnamed fields keep these defaults), e.g.
    ``{"pricesAsOf": "2027-01-15", "sagemaker_endpoint_hour_usd": 1.2}``.
    """

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    prices_as_of: date = Field(date(2026, 11, 30), alias="pricesAsOf")

    # Where each line comes from, as checked on 2026-11-30 with the project's search tool (no AWS account here):
    #
    # https://aws.amazon.com/bedrock/pricing/ ("Stability AI", "Amazon"), standard quality, per image. Keyed by the
    # base model id: an inference profile ("us.") is charged as its model in the source region. The page renders its
    # prices client-side, so the search tool saw no figures on it:
    # - Stability image services: Inpaint $0.07, Outpaint $0.06, upscales $0.03 / $0.40 / $0.60 per image, flat,
    #   from a pricing module that transcribes the page's "per-generation fallback rates" (us-east-1/2, us-west-2).
    #   Another source quoted ~$0.04 for inpaint; the higher figure is kept so a budget errs high.
    # - Titan Image Generator v2 (same as v1): $0.008 up to 512x512, $0.01 above. NOT found with the search tool:
    #   the last published list price, kept as an estimate (the model is Legacy; its price is not expected to fall).
    # - Nova Canvas (https://aws.amazon.com/nova/pricing/): $0.04 up to 1024x1024, $0.06 up to 2048x2048. NOT found
    #   with the search tool (one reseller lists $0.12/$0.18 with its own margin): the last published list price.
    # - Stable Image Core v1.1 (text to image, the default fallback): $0.04 per image, flat. Checked 2026-12-07: the
    #   Bedrock pricing page lists only the image services; an operator's notes quote the AWS Marketplace rate card
    #   (ListFoundationModelAgreementOffers) at $0.04 per output image in us-west-2, the price Stability's Core had
    #   on the pricing page before. Check the rate card in the target account.
    bedrock_image_usd: dict[str, tuple[ImageTier, ...]] = {
        "stability.stable-image-inpaint-v1:0": (ImageTier(usd=0.07),),
        "stability.stable-image-core-v1:1": (ImageTier(usd=0.04),),
        "stability.stable-outpaint-v1:0": (ImageTier(usd=0.06),),
        "stability.stable-fast-upscale-v1:0": (ImageTier(usd=0.03),),
        "stability.stable-conservative-upscale-v1:0": (ImageTier(usd=0.40),),
        "stability.stable-creative-upscale-v1:0": (ImageTier(usd=0.60),),
        "amazon.titan-image-generator-v2:0": (ImageTier(max_pixels=512 * 512, usd=0.008), ImageTier(usd=0.01)),
        "amazon.titan-image-generator-v1": (ImageTier(max_pixels=512 * 512, usd=0.008), ImageTier(usd=0.01)),
        "amazon.nova-canvas-v1:0": (ImageTier(max_pixels=1024 * 1024, usd=0.04), ImageTier(usd=0.06)),
    }
    # A model missing from the table is charged like the dearest editing service above, so a budget errs high.
    unknown_model_image_usd: float = 0.08

    # https://aws.amazon.com/rekognition/pricing/ Image APIs: DetectFaces, DetectLabels and DetectModerationLabels
    # bill per image and per call. NOT found with the search tool; $0.001 is the first-million tier, the highest of
    # the volume tiers, so it is the conservative figure.
    rekognition_image_usd: float = 0.001

    # https://aws.amazon.com/lambda/pricing/ Arm (the functions run on arm64): $0.0000133334 per GB-second
    # (first 7.5 billion GB-seconds a month) and $0.20 per million requests (found in transcriptions of the page; the
    # page itself notes that initialisation code is billed too, which this estimate leaves out).
    lambda_gb_second_usd: float = 0.0000133334
    lambda_request_usd: float = 0.0000002

    # https://aws.amazon.com/step-functions/pricing/ Standard workflows: $0.025 per 1,000 state transitions, retries
    # included (found on the page: US East (N. Virginia), US West (Oregon), Europe (Ireland/Frankfurt) alike).
    stepfunctions_transition_usd: float = 0.000025

    # https://aws.amazon.com/sagemaker/pricing/ real-time inference, ml.g4dn.xlarge: $0.7364 per hour. NOT found with
    # the search tool (the page lists instances client-side): the last published us-east-1 list price, an estimate.
    # Set this to the price of the instance type the SAM endpoint runs on.
    sagemaker_endpoint_hour_usd: float = 0.7364

    def image_usd(self, model_id: str, width: int, height: int) -> float:
        tiers = self.bedrock_image_usd.get(base_model_id(model_id))
        if not tiers:
            return self.unknown_model_image_usd
        pixels = width * height
        for tier in tiers:
            if tier.max_pixels is None or pixels <= tier.max_pixels:
                return tier.usd
        return tiers[-1].usd


def base_model_id(model_id: str) -> str:
    """``amazon.nova-canvas-v1:0`` from an ARN or a cross-region inference profile id (``us.amazon.nova...``)."""
    name = model_id.rsplit("/", 1)[-1]
    geo, _, rest = name.partition(".")
    return rest if rest and geo in {"us", "eu", "apac", "ap", "jp", "au", "ca", "us-gov", "global"} else name


@dataclass
class RequestUsage:
    """Everything one request used, gathered from its status record by :func:`usage_of_request`."""

    invocations: list[StepUsage] = field(default_factory=list)
    images: list[StepUsage] = field(default_factory=list)  # each painted image: model_id, width, height
    transitions: int = 0

    @property
    def rekognition_images(self) -> int:
        return sum(step.rekognition_images for step in self.invocations)

    @property
    def sam_seconds(self) -> float:
        return sum(step.sam_seconds for step in self.invocations)


class Cost(BaseModel):
    """The ``cost`` object of the status record and of ``GET /photo/{id}`` (CONTRACT.md)."""

    model_config = ConfigDict(populate_by_name=True)

    usd: float
    breakdown: dict[str, float]
    prices_as_of: str = Field(alias="pricesAsOf")

    def as_record(self) -> dict:
        return self.model_dump(mode="json", by_alias=True)


def estimate(usage: RequestUsage, prices: Prices) -> Cost:
    gb_seconds = sum(step.seconds * step.memory_mb / 1024 for step in usage.invocations)
    breakdown = {
        "bedrock": sum(prices.image_usd(i.model_id or "", i.width or 0, i.height or 0) for i in usage.images)
        + sum(prices.image_usd(i.upscale_model_id, 1024, 1024) for i in usage.images if i.upscale_model_id),
        "rekognition": usage.rekognition_images * prices.rekognition_image_usd,
        "lambda": gb_seconds * prices.lambda_gb_second_usd + len(usage.invocations) * prices.lambda_request_usd,
        "stepfunctions": usage.transitions * prices.stepfunctions_transition_usd,
        "sagemaker": usage.sam_seconds / 3600 * prices.sagemaker_endpoint_hour_usd,
    }
    # Rounded to a millionth of a dollar: the smallest line (one state transition) is 25 of them.
    rounded = {name: round(usd, 6) for name, usd in breakdown.items()}
    return Cost(
        usd=round(sum(breakdown.values()), 6), breakdown=rounded, prices_as_of=prices.prices_as_of.isoformat()
    )


# Status record attributes where the steps before generation note their usage; images carry theirs in ``images``.
DETECT_USAGE = "detectUsage"
SEGMENT_USAGE = "segmentUsage"


def usage_of_request(
    record: dict, *, finalize: StepUsage | None, images_made: int, images_noted_failed: int
) -> RequestUsage:
    """The request's usage from its status record (read before finalize writes to it) and finalize's own.

    ``images_made`` and ``images_noted_failed`` come from the Map's output: ``None`` images when the run failed
    before generation. Without a Map the run failed at the step after the last one that noted its usage.
    """
    usage = RequestUsage()
    for attribute in (DETECT_USAGE, SEGMENT_USAGE):
        if record.get(attribute):
            usage.invocations.append(StepUsage.model_validate(record[attribute]))
    for entry in (record.get("images") or {}).values():
        if entry.get("usage"):
            image = StepUsage.model_validate(entry["usage"])
            usage.invocations.append(image)
            if image.model_id:
                usage.images.append(image)
    if finalize is not None:
        usage.invocations.append(finalize)

    steps_before_generation = 2  # detect, segment
    if images_made + images_noted_failed:
        usage.transitions = (
            STATES_BEFORE_DETECT
            + steps_before_generation
            + 1  # the Map state
            + STATES_PER_IMAGE * images_made
            + (STATES_PER_IMAGE + 1) * images_noted_failed
            + STATES_AFTER_IMAGES
        )
    else:
        # The failing step is the one after the last that passed: detect, segment or the Map.
        passed = [StepUsage.model_validate(record[a]).passed for a in (DETECT_USAGE, SEGMENT_USAGE) if record.get(a)]
        reached = 1 + sum(passed)
        usage.transitions = STATES_BEFORE_DETECT + reached + STATES_AFTER_FAILURE
    return usage


def estimate_of_record(record: dict, prices: Prices) -> Cost:
    """The estimate of a request that ended without its finalize step (an execution that failed, timed out or was
    aborted; ``lifecycle.fail_unfinished`` marked it): what its steps noted, and the transitions that implies."""
    images_made = sum(bool(entry.get("usage")) for entry in (record.get("images") or {}).values())
    usage = usage_of_request(record, finalize=None, images_made=images_made, images_noted_failed=0)
    return estimate(usage, prices)
