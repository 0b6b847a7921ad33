"""Runtime configuration, read from ``PHOTOBOOTH_*`` environment variables when a handler first needs it.

Nothing here runs at import time: handlers call :func:`get_settings` inside the invocation, so tests and the
local server can set the environment first.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from photobooth.cost import Prices
from photobooth.models import Theme

DEFAULT_THEMES: tuple[Theme, ...] = (
    Theme(
        name="unicorn-meadow",
        label="Unicorn meadow",
        prompt="a sunny fairy-tale meadow with rainbow unicorns, wild flowers and soft pastel clouds, "
        "bright storybook illustration",
        negative_prompt="distorted face, extra limbs, text, watermark",
    ),
    Theme(
        name="floating-city",
        label="Floating city",
        prompt="a futuristic city of floating islands with glass towers and waterfalls at sunset, "
        "warm orange and purple sky, cinematic",
        negative_prompt="distorted face, extra limbs, text, watermark",
    ),
    Theme(
        name="cosmos",
        label="Cosmos",
        prompt="a cosmic landscape on an alien planet under a starry sky with nebulae and a giant ringed "
        "planet, vivid colours",
        negative_prompt="distorted face, extra limbs, text, watermark",
    ),
)

EXTRA_THEMES: tuple[Theme, ...] = (
    Theme(
        name="forest",
        label="Enchanted forest",
        prompt="an enchanted green forest with tall trees, sun rays and glowing fireflies",
        negative_prompt="distorted face, extra limbs, text, watermark",
    ),
    Theme(
        name="beach",
        label="Tropical beach",
        prompt="a tropical beach with turquoise sea, palm trees and white sand on a bright day",
        negative_prompt="distorted face, extra limbs, text, watermark",
    ),
)

# Bedrock model ids tried in order (docs/decisions.md, 2026-11-30 and 2026-12-07). Both Active: Stability AI's
# inpaint service through the US cross-region inference profile, then Stability's Stable Image Core, a text-to-image
# model with its own quota whose background the people are pasted onto just the same (on demand in us-west-2, the
# stack's default Bedrock region). Titan Image Generator v2 and Nova Canvas are past end of life (2026-06-30 and
# 2026-09-30): no longer defaults, but an operator whose account still serves them may list them.
DEFAULT_MODEL_IDS: tuple[str, ...] = (
    "us.stability.stable-image-inpaint-v1:0",
    "stability.stable-image-core-v1:1",
)


# Rekognition content moderation taxonomy version 7: the top-level (L1) categories and the L2 names that split
# an L1 the booth may want to treat differently (a kiss at a wedding is "Non-Explicit Nudity of Intimate parts and
# Kissing" but not "Non-Explicit Nudity"). https://docs.aws.amazon.com/rekognition/latest/dg/moderation-api.html
MODERATION_TAXONOMY: tuple[str, ...] = (
    "Explicit",
    "Explicit Nudity",
    "Non-Explicit Nudity of Intimate parts and Kissing",
    "Non-Explicit Nudity",
    "Swimwear or Underwear",
    "Violence",
    "Visually Disturbing",
    "Drugs & Tobacco",
    "Alcohol",
    "Rude Gestures",
    "Gambling",
    "Hate Symbols",
)
# What a public, family-friendly booth refuses. Drinks, swimwear at a beach party, cards and kisses are allowed.
DEFAULT_MODERATION_CATEGORIES: tuple[str, ...] = (
    "Explicit",
    "Non-Explicit Nudity",
    "Violence",
    "Visually Disturbing",
    "Rude Gestures",
    "Hate Symbols",
)
# Third-level labels let through although their category is refused: a shirtless visitor on the beach theme.
# Rekognition's page recommends moderating with L1/L2 categories and exempting specific concepts with L3 labels;
# "Bare Back" and "Exposed Male Nipple" are L3 under "Non-Explicit Nudity" (the swimwear labels are L2 of
# "Swimwear or Underwear", a category the booth does not refuse). docs/decisions.md, 2026-12-07.
DEFAULT_MODERATION_LET_THROUGH: tuple[str, ...] = ("Bare Back", "Exposed Male Nipple")


def third_level_labels(labels: tuple[str, ...]) -> tuple[str, ...]:
    """``moderation_let_through_labels`` as given, unless it names a category (the functions' settings and the
    deployment's refuse the same values, so a deployment never ships settings its functions refuse)."""
    categories = sorted(set(labels) & set(MODERATION_TAXONOMY))
    if categories:
        # Letting a whole category through belongs in moderation_categories, where it is visible as such.
        raise ValueError(
            f"{categories} are categories, not third-level labels: leave them out of moderation_categories instead"
        )
    return labels


# POST /photo must answer before the first 30 s limit in front of the function: API Gateway's HTTP API ends an
# integration 30 s after it received the request, and CloudFront's origin response timeout is 30 s by default.
UPSTREAM_TIMEOUT_SECONDS = 30.0
# What the answer needs after the wait: one more status read, the presigned URLs, the way back through both
# (photobooth.api.photo_wait_budget keeps it; photo_wait_seconds cannot ask for more than what is left).
ANSWER_MARGIN_SECONDS = 3.0
# Model calls a minute when PHOTOBOOTH_MODEL_CALLS_PER_MINUTE is not set: on AWS, 80 % of 5 (docs/decisions.md,
# 2026-12-07, issue 20); offline, fast enough that a photo's themes are not held back.
DEFAULT_MODEL_CALLS_PER_MINUTE = 4.0
OFFLINE_MODEL_CALLS_PER_MINUTE = 600.0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PHOTOBOOTH_", frozen=True)

    backend: Literal["aws", "offline"] = "aws"
    bucket_name: str = "photobooth-local"
    table_name: str = "photobooth-status"
    themes: tuple[Theme, ...] = DEFAULT_THEMES + EXTRA_THEMES
    default_themes: tuple[str, ...] = tuple(t.name for t in DEFAULT_THEMES)

    # image limits
    max_upload_bytes: int = 15 * 1024 * 1024
    max_pixels: int = 40_000_000
    # Decoder memory: 40 MP of 8-bit RGB fits, a 16-bit PNG of the same size does not (it needs twice as much).
    max_decoded_bytes: int = 128 * 1024 * 1024
    work_long_side: int = 1024

    # faces
    face_min_confidence: float = 90.0
    face_min_size_ratio: float = Field(0.03, description="smallest face side as a share of the image's short side")
    eyewear_min_confidence: float = Field(70.0, description="Rekognition's 0-100 scale")

    # models
    segmentation_backend: Literal["sam", "selfie", "grabcut"] = Field(
        "sam",
        description="AWS: the SAM endpoint, the selfie model on ONNX Runtime inside the function (the deployment's "
        "default, infra/photobooth_infra/config.py), or GrabCut",
    )
    sam_endpoint_name: str = "photobooth-sam"
    bedrock_model_ids: tuple[str, ...] = DEFAULT_MODEL_IDS
    bedrock_region: str | None = None
    bedrock_read_timeout: float = Field(
        60.0, gt=0, description="seconds one Bedrock model may take to answer before the next one is tried"
    )
    generate_reserve_seconds: float = Field(
        15.0, ge=0, description="time the generate function keeps after the model answered (paste, encode, store)"
    )
    offline_style: int | None = Field(None, ge=0, le=25, description="paint offline scenes in this style (extra)")
    offline_segmenter: Literal["selfie", "grabcut"] = Field(
        "selfie", description="offline: MediaPipe's selfie model (GrabCut where LiteRT has no wheel), or GrabCut"
    )
    generation_seed: int = 7

    # workflow and delivery
    state_machine_arn: str | None = Field(None, description="POST /photo starts this state machine")
    booth_key_secret_arn: str | None = Field(
        None,
        description="the booth key's secret: reading or erasing through a pad's own id, and a request's "
        "executionArn, need that key (status function, on AWS)",
    )
    generate_max_concurrency: int = Field(3, ge=1, le=40)
    # The pace of the image models (photobooth.pacing): at most this many model calls a minute, over every visitor.
    # Set it to 80 % of the lowest "requests per minute" quota of the configured models (photobooth doctor reads
    # them); the default is low on purpose (docs/decisions.md, 2026-12-07, issue 20). The offline painters have no
    # quota: their default only keeps the same path running (_default_pace).
    model_calls_per_minute: float = Field(
        DEFAULT_MODEL_CALLS_PER_MINUTE,
        gt=0,
        le=6000,
        description="model calls a minute, all visitors together; 80 % of the lowest quota",
    )
    s3_public_endpoint: str | None = Field(
        None, description="address browsers use for presigned URLs when it differs from the functions' (local server)"
    )
    upload_url_expires: int = 300
    # POST /photo waits at most this long for the result (CONTRACT.md); the wait also ends early enough to answer
    # before API Gateway's and CloudFront's 30 s, whatever a cold start took (api.photo_wait_budget). 20 s, not the
    # seed's 25: a cold authorizer and presign function come first (docs/decisions.md, 2026-12-07).
    photo_wait_seconds: float = Field(20.0, ge=0, le=UPSTREAM_TIMEOUT_SECONDS - ANSWER_MARGIN_SECONDS)
    seed_compat_envelope: bool = Field(
        False, description="POST /upload answers the seed's {statusCode, body: '<JSON string>'} envelope"
    )
    download_url_expires: int = 3600
    retention_days: int = 7

    # print quality and moderation (docs/architecture.md "Print-quality results", "Moderation")
    output_long_side: int = Field(
        2048, ge=0, le=12_000, description="results' long side in px; 0 or more than the original: the original's"
    )
    upscaler: Literal["lanczos", "bedrock"] = Field(
        "lanczos", description="how the background grows to the output size: 'bedrock' calls upscale_model_id (cost)"
    )
    upscale_model_id: str = "us.stability.stable-fast-upscale-v1:0"
    moderation_backend: Literal["rekognition", "none"] = Field(
        "rekognition", description="'none' checks nothing (the offline backend always uses it)"
    )
    moderation_min_confidence: float = Field(80.0, ge=0.0, le=100.0, description="Rekognition's 0-100 scale")
    moderation_categories: tuple[str, ...] = DEFAULT_MODERATION_CATEGORIES
    moderation_let_through_labels: tuple[str, ...] = Field(
        DEFAULT_MODERATION_LET_THROUGH, description="third-level labels not refused even under a refused category"
    )
    moderate_generated_images: bool = Field(True, description="check each generated image as well as the photo")

    # cost (photobooth.cost): the price table and the event the metrics are counted under
    prices: Prices = Field(
        default_factory=Prices, description="PHOTOBOOTH_PRICES: JSON, unnamed fields keep defaults"
    )
    event_name: str = Field("default", min_length=1, max_length=128, description="CostPerRequest's event dimension")
    # The busiest hour's crowd, which `photobooth doctor` compares with what the Bedrock quotas sustain at 80 %
    # (photobooth.doctor.capacity). No function acts on it; the doctor reads it from the generate function.
    expected_visitors_per_hour: int | None = Field(None, ge=1, le=1_000_000)

    # The operator's kiosk mode (photobooth.kiosk): the PIN is checked here, never in the page. A deployment sets the
    # hash; `photobooth serve` takes the PIN itself from the operator's shell.
    kiosk_pin_hash: str | None = Field(None, pattern=r"^scrypt\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$")
    kiosk_pin: SecretStr | None = Field(None, description="photobooth serve: PHOTOBOOTH_KIOSK_PIN")

    @field_validator("moderation_categories")
    @classmethod
    def _known_categories(cls, categories: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(categories) - set(MODERATION_TAXONOMY))
        if unknown:
            # A misspelt category would silently check nothing.
            raise ValueError(f"unknown moderation categories {unknown}; known: {list(MODERATION_TAXONOMY)}")
        return categories

    @field_validator("moderation_let_through_labels")
    @classmethod
    def _third_level_labels(cls, labels: tuple[str, ...]) -> tuple[str, ...]:
        return third_level_labels(labels)

    @field_validator("themes")
    @classmethod
    def _unique_theme_names(cls, themes: tuple[Theme, ...]) -> tuple[Theme, ...]:
        names = [t.name for t in themes]
        if len(names) != len(set(names)):
            raise ValueError("theme names must be unique")
        if not themes:
            raise ValueError("at least one theme is required")
        return themes

    @model_validator(mode="before")
    @classmethod
    def _default_pace(cls, data: Any) -> Any:
        if isinstance(data, dict) and "model_calls_per_minute" not in data and data.get("backend") == "offline":
            return {**data, "model_calls_per_minute": OFFLINE_MODEL_CALLS_PER_MINUTE}
        return data

    @model_validator(mode="before")
    @classmethod
    def _defaults_follow_custom_themes(cls, data: Any) -> Any:
        """Custom themes without the built-in names (PHOTOBOOTH_THEMES alone) offer their first three by default,
        rather than failing on built-in defaults they do not have; PHOTOBOOTH_DEFAULT_THEMES still wins."""
        if not isinstance(data, dict) or "default_themes" in data or not isinstance(data.get("themes"), list | tuple):
            return data
        names = [t.get("name") if isinstance(t, dict) else getattr(t, "name", None) for t in data["themes"]]
        if {t.name for t in DEFAULT_THEMES} <= set(names):
            return data
        return {**data, "default_themes": [n for n in names if isinstance(n, str)][:3]}

    @model_validator(mode="after")
    def _defaults_are_known(self) -> Settings:
        unknown = set(self.default_themes) - {t.name for t in self.themes}
        if unknown:
            raise ValueError(f"default_themes names unknown themes: {sorted(unknown)}")
        return self

    def theme(self, name: str) -> Theme:
        for theme in self.themes:
            if theme.name == name:
                return theme
        raise KeyError(name)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def settings_problem() -> str | None:
    """What is wrong with the PHOTOBOOTH_* settings, in a few plain lines (for the CLI at start); ``None`` when
    they are valid."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    try:
        Settings()
    except ValidationError as error:
        lines = []
        for problem in error.errors(include_url=False):
            message = str(problem["msg"]).removeprefix("Value error, ")
            if not problem["loc"]:  # a rule across settings (default_themes against themes)
                lines.append(message)
                continue
            where = f"PHOTOBOOTH_{str(problem['loc'][0]).upper()}"
            inner = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in problem["loc"][1:])
            lines.append(f"{where}{inner}: {message}")
        return "\n".join(lines) or str(error)
    except SettingsError as error:
        # A value that is not valid JSON (PHOTOBOOTH_THEMES='[{...'): pydantic-settings names the field.
        return f"{error} (JSON is expected)"
    return None
