"""The operator's deployment settings: typed, validated, with defaults from the domain package.

Loaded from a JSON file (``-c config=path/to/file.json``; the README's "Deploy to AWS" section lists every key)
or built in code by the tests. Unknown keys are refused so that a typo does not silently fall back to a default.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from photobooth.config import (
    DEFAULT_MODEL_IDS,
    DEFAULT_MODERATION_CATEGORIES,
    DEFAULT_MODERATION_LET_THROUGH,
    DEFAULT_THEMES,
    EXTRA_THEMES,
    MODERATION_TAXONOMY,
    third_level_labels,
)
from photobooth.models import Theme
from photobooth_infra.bedrock_access import BedrockModel, check_profile_source_regions, profile_regions
from photobooth_infra.constants import (
    API_INTEGRATION_TIMEOUT,
    LOG_RETENTION,
    PHOTO_WAIT_MARGIN_SECONDS,
    PRESIGN,
)

# POST /photo's wait must end, and presign answer, before API Gateway or the function gives up.
_MAX_PHOTO_WAIT_SECONDS = (
    min(API_INTEGRATION_TIMEOUT.to_seconds(), PRESIGN.timeout.to_seconds()) - PHOTO_WAIT_MARGIN_SECONDS
)

_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")


def _well_formed_regions(regions: tuple[str, ...]) -> tuple[str, ...]:
    bad = [r for r in regions if not _REGION.fullmatch(r)]
    if bad:
        raise ValueError(f"malformed regions: {bad}")
    return regions


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ThrottleConfig(_Model):
    """Steady requests per second and burst for the whole API (all booth pads together)."""

    rate_limit: float = Field(20.0, gt=0, le=10_000)
    burst_limit: int = Field(40, gt=0, le=5_000)


class SamEndpointConfig(_Model):
    """The SageMaker endpoint that serves serving/sam/ (used when ``segmentation_backend`` is ``sam``).

    ``deploy: false`` uses an existing endpoint called ``endpoint_name``; ``deploy: true`` creates it from the
    operator's model artefact (``model_data_url``, built by ``python serving/sam/package.py``).
    """

    deploy: bool = Field(
        False,
        description="create the endpoint. It is billed every hour it exists, busy or not: ml.g4dn.xlarge about "
        "$0.74/hour (about $18 a day), ml.m5.large about $0.12/hour (us-east-1 list prices, 2026-11)",
    )
    endpoint_name: str = Field("photobooth-sam", pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
    model_data_url: str | None = Field(None, pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+\.tar\.gz$")
    instance_type: str = Field("ml.g4dn.xlarge", pattern=r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
    model_type: Literal["vit_b", "vit_l", "vit_h"] = "vit_b"
    image_uri: str | None = Field(None, description="inference container; default: the PyTorch inference DLC")

    @model_validator(mode="after")
    def _artefact_when_deployed(self) -> SamEndpointConfig:
        if self.deploy and not self.model_data_url:
            raise ValueError(
                "sam.deploy needs sam.model_data_url (s3://.../model.tar.gz from serving/sam/package.py)"
            )
        return self

    @property
    def uses_gpu(self) -> bool:
        return self.instance_type.split(".")[1][0] in {"g", "p"}


class BoothPageTimeouts(_Model):
    """Seconds without a touch before a screen goes back to the start; 0 = never (web/js/settings.js)."""

    camera: int | None = Field(None, ge=0, le=86_400)
    review: int | None = Field(None, ge=0, le=86_400)
    results: int | None = Field(None, ge=0, le=86_400)
    error: int | None = Field(None, ge=0, le=86_400)
    kiosk: int | None = Field(None, ge=0, le=86_400)


_SET_BY_THE_DEPLOYMENT = {
    "apiBase": "the deployment sets it to the CloudFront address",
    "retentionDays": "the deployment sets it from retention_days, so the consent says what the bucket does",
    "boothKeyRequired": "the deployment sets it: the API needs the booth key",
    "kioskPin": "set kiosk_pin instead: config.js is public, the API checks the PIN",
}


class BoothPageConfig(_Model):
    """The keys of web/config.js an operator may set (web/js/settings.js reads each one); any other key is refused,
    so a typo such as ``kiosPin`` or a key the page never reads does not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)

    pollTimeoutSeconds: int | None = Field(None, ge=10, le=3600)  # the page's own (camelCase) key names
    networkGraceSeconds: int | None = Field(None, ge=0, le=3600)
    countdownSeconds: int | None = Field(None, ge=0, le=10)
    timeouts: BoothPageTimeouts | None = None
    idleNoticeSeconds: int | None = Field(None, ge=0, le=600)
    expectedSecondsPerPicture: float | None = Field(None, gt=0, le=600)
    attractSlideSeconds: float | None = Field(None, gt=0, le=600)
    wallSlideSeconds: float | None = Field(None, gt=0, le=600)
    mirror: bool | None = None
    qrLinks: Literal["page", "direct"] | None = None
    shareBaseUrl: str | None = Field(None, pattern=r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?(/[^\s]*)?$")
    defaultLanguage: Literal["", "en", "ko"] | None = None
    title: str | None = Field(None, max_length=60)
    logoUrl: str | None = Field(
        None,
        description="a path of the booth page's own site (e.g. /logo.png, a file of web/) or a data: image",
    )
    hideFullscreen: bool | None = None
    hideFilePicker: bool | None = None
    wakeLock: bool | None = None
    themes: tuple[str, ...] | None = None

    @model_validator(mode="before")
    @classmethod
    def _not_the_deployments(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, why in _SET_BY_THE_DEPLOYMENT.items():
                if key in data:
                    raise ValueError(f"booth_page.{key} is not allowed: {why}")
        return data

    @field_validator("logoUrl")
    @classmethod
    def _own_origin_or_data(cls, url: str | None) -> str | None:
        # The page loads a logo from its own origin or a data: image only (web/js/settings.js, safeLogoUrl).
        if url and not (
            re.fullmatch(r"data:image/(png|jpeg|gif|webp|svg\+xml)[;,].*", url, flags=re.DOTALL)
            or re.fullmatch(r"(?!//)[A-Za-z0-9._~/%-]+", url)
        ):
            raise ValueError("logoUrl must be a path of the booth page's site (such as /logo.png) or a data: image")
        return url

    def as_config_js(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True, mode="json")


class DeploymentConfig(_Model):
    # Stack and names
    stack_name: str = Field("Photobooth", pattern=r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
    name_prefix: str = Field(
        "photobooth", pattern=r"^[a-z][a-z0-9-]{1,18}$", description="lower-case prefix of the bucket name"
    )
    account: str | None = Field(None, pattern=r"^\d{12}$")
    region: str | None = None

    # Themes and models
    themes: tuple[Theme, ...] = DEFAULT_THEMES + EXTRA_THEMES
    default_themes: tuple[str, ...] = tuple(t.name for t in DEFAULT_THEMES)
    bedrock_model_ids: tuple[str, ...] = DEFAULT_MODEL_IDS
    bedrock_regions: tuple[str, ...] = Field(
        (), description="regions the functions call Bedrock in; the first is called. Empty: the stack's region"
    )
    inference_profile_regions: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="destination regions of inference profiles whose routing is not built in (profile id -> regions)",
    )
    marketplace_product_ids: tuple[str, ...] = Field(
        (),
        description="AWS Marketplace product ids of the configured third-party models: the generate role may then "
        "aws-marketplace:Subscribe to those products only (never Unsubscribe). Empty: no Subscribe at all "
        "(photobooth doctor makes the first subscription)",
    )
    generate_max_concurrency: int = Field(3, ge=1, le=40)
    # The image models' pace (PHOTOBOOTH_MODEL_CALLS_PER_MINUTE, photobooth.pacing): 80 % of the lowest quota.
    model_calls_per_minute: float = Field(4.0, gt=0, le=6000)

    # Segmentation
    # The selfie model (ONNX Runtime, in the layer) by default: a few milliseconds of the segment function, where
    # GrabCut took seconds and lost what a visitor holds; GrabCut stays the fallback, SAM the paid option.
    segmentation_backend: Literal["sam", "selfie", "grabcut"] = "selfie"
    sam: SamEndpointConfig = SamEndpointConfig()

    # Print size and moderation (the PHOTOBOOTH_* settings of the same names)
    output_long_side: int = Field(2048, ge=0, le=12_000, description="results' long side; 0: the original's")
    upscaler: Literal["lanczos", "bedrock"] = Field(
        "lanczos", description="'bedrock': Stability's Fast Upscale grows each background (one more call per image)"
    )
    upscale_model_id: str = "us.stability.stable-fast-upscale-v1:0"
    moderation_backend: Literal["rekognition", "none"] = "rekognition"
    moderation_min_confidence: float = Field(80.0, ge=0.0, le=100.0)
    moderation_categories: tuple[str, ...] = DEFAULT_MODERATION_CATEGORIES
    moderation_let_through_labels: tuple[str, ...] = DEFAULT_MODERATION_LET_THROUGH
    moderate_generated_images: bool = True

    @property
    def invoked_model_ids(self) -> tuple[str, ...]:
        """Every Bedrock model the generate function may call: the image models and, when chosen, the upscaler."""
        return self.bedrock_model_ids + ((self.upscale_model_id,) if self.upscaler == "bedrock" else ())

    # Retention
    retention_days: int = Field(7, ge=1, le=3650, description="originals, work/ and status records")
    generated_retention_days: int = Field(30, ge=1, le=3650)
    log_retention_days: int = 30
    access_log_retention_days: int = Field(90, ge=1, le=3650)

    # API and booth page
    allowed_origins: tuple[str, ...] = Field(
        (), description="origins besides the CloudFront domain that may call the API and PUT uploads"
    )
    throttle: ThrottleConfig = ThrottleConfig()
    booth_page: BoothPageConfig = Field(
        default_factory=BoothPageConfig, description="extra keys of web/config.js (countdownSeconds, mirror, ...)"
    )
    kiosk_pin: SecretStr | None = Field(
        None,
        description="the operator's PIN for kiosk mode (4-32 digits); only its hash is deployed, to the API",
    )

    # Pads written for the seed's API (README "Pads written for the seed's API"; PHOTOBOOTH_* of the same names)
    seed_compat_envelope: bool = Field(
        False, description="POST /upload answers the seed's {statusCode, body: '<JSON string>'} envelope"
    )
    photo_wait_seconds: float = Field(
        20.0,
        ge=0,
        le=_MAX_PHOTO_WAIT_SECONDS,
        description="how long POST /photo waits for the pictures (billed Lambda time); 0 answers 202 at once",
    )

    # Cold starts (issue 21): the cached snapshots cost about $20 a month per deployed stack (README "Speed").
    snap_start: bool = Field(
        True, description="Lambda SnapStart on every function: a cold start resumes a snapshot instead of importing"
    )

    # Observability
    alarm_email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    failed_executions_alarm_threshold: int = Field(
        5, ge=1, description="failed executions in 15 minutes (a photo without a face also fails)"
    )
    function_errors_alarm_threshold: int = Field(5, ge=1, description="errors of one function in 15 minutes")
    # The busiest hour's crowd: `photobooth doctor` compares it with what the Bedrock quotas sustain (issue 20).
    expected_visitors_per_hour: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="visitors at the busiest hour; the doctor prints ✘ when quotas fall short",
    )
    # Cost per visitor (infra/photobooth_infra/dashboard.py): alarm above this hourly average of the estimates.
    cost_budget_per_visitor_usd: float = Field(0.30, gt=0, le=100, description="USD; default models cost ~$0.22")
    event_name: str = Field(
        "default", pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$", description="the cost metrics' event dimension"
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("themes")
    @classmethod
    def _unique_themes(cls, themes: tuple[Theme, ...]) -> tuple[Theme, ...]:
        names = [t.name for t in themes]
        if not names:
            raise ValueError("at least one theme is required")
        if len(names) != len(set(names)):
            raise ValueError("theme names must be unique")
        return themes

    @field_validator("bedrock_model_ids")
    @classmethod
    def _some_model(cls, ids: tuple[str, ...]) -> tuple[str, ...]:
        if not ids:
            raise ValueError("at least one Bedrock model id is required")
        bad = [i for i in ids if not re.fullmatch(r"[a-z0-9][a-z0-9.:-]{2,127}", i)]
        if bad:
            raise ValueError(f"malformed Bedrock model ids: {bad}")
        return ids

    @field_validator("moderation_categories")
    @classmethod
    def _known_categories(cls, categories: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(categories) - set(MODERATION_TAXONOMY))
        if unknown:
            raise ValueError(f"unknown moderation categories {unknown}; known: {list(MODERATION_TAXONOMY)}")
        return categories

    @field_validator("moderation_let_through_labels")
    @classmethod
    def _third_level_labels(cls, labels: tuple[str, ...]) -> tuple[str, ...]:
        return third_level_labels(labels)

    @field_validator("kiosk_pin")
    @classmethod
    def _pin_shape(cls, pin: SecretStr | None) -> SecretStr | None:
        if pin is not None and not re.fullmatch(r"\d{4,32}", pin.get_secret_value()):
            raise ValueError("kiosk_pin must be 4 to 32 digits (the tablet shows a number pad)")
        return pin

    @property
    def kiosk_pin_hash(self) -> str | None:
        """What the status function keeps: the PIN's scrypt hash, salted per stack so that a synth is repeatable."""
        if self.kiosk_pin is None:
            return None
        from photobooth.kiosk import hash_pin

        salt = hashlib.sha256(f"photobooth kiosk PIN {self.stack_name} {self.name_prefix}".encode()).digest()[:16]
        return hash_pin(self.kiosk_pin.get_secret_value(), salt=salt)

    @field_validator("bedrock_regions")
    @classmethod
    def _regions(cls, regions: tuple[str, ...]) -> tuple[str, ...]:
        return _well_formed_regions(regions)

    @field_validator("marketplace_product_ids")
    @classmethod
    def _product_ids(cls, ids: tuple[str, ...]) -> tuple[str, ...]:
        bad = [i for i in ids if not re.fullmatch(r"[A-Za-z0-9-]{8,64}", i)]
        if bad:
            raise ValueError(f"malformed Marketplace product ids: {bad}")
        return ids

    @field_validator("region")
    @classmethod
    def _region(cls, region: str | None) -> str | None:
        if region is not None and not _REGION.fullmatch(region):
            raise ValueError(f"malformed region: {region}")
        return region

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        bad = [o for o in origins if not _ORIGIN.fullmatch(o)]
        if bad:
            raise ValueError(f"origins must look like https://host[:port] without a path: {bad}")
        return origins

    @field_validator("log_retention_days")
    @classmethod
    def _log_retention(cls, days: int) -> int:
        if days not in LOG_RETENTION:
            raise ValueError(f"log_retention_days must be one of {sorted(LOG_RETENTION)}")
        return days

    @model_validator(mode="after")
    def _consistent(self) -> DeploymentConfig:
        unknown = set(self.default_themes) - {t.name for t in self.themes}
        if unknown:
            raise ValueError(f"default_themes names unknown themes: {sorted(unknown)}")
        if not self.default_themes:
            raise ValueError("default_themes must name at least one theme")
        if self.generated_retention_days < self.retention_days:
            raise ValueError("generated_retention_days must be at least retention_days")
        self._check_inference_profiles()
        return self

    def _check_inference_profiles(self) -> None:
        strangers = set(self.inference_profile_regions) - set(self.invoked_model_ids)
        if strangers:
            raise ValueError(
                f"inference_profile_regions names ids missing from bedrock_model_ids: {sorted(strangers)}"
            )
        for profile, regions in self.inference_profile_regions.items():
            if BedrockModel(profile).geography is None:
                raise ValueError(f"{profile} in inference_profile_regions is not an inference profile id")
            _well_formed_regions(regions)
        for model_id in self.invoked_model_ids:
            if BedrockModel(model_id).geography is not None:
                profile_regions(BedrockModel(model_id), self.inference_profile_regions)
        called_in = self.bedrock_regions or ((self.region,) if self.region else ())
        check_profile_source_regions(self.invoked_model_ids, called_in, self.inference_profile_regions)

    @property
    def uses_sam(self) -> bool:
        return self.segmentation_backend == "sam"

    @classmethod
    def from_file(cls, path: str | Path) -> DeploymentConfig:
        return cls.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
