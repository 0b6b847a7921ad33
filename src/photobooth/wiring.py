"""Builds the adapters a handler needs from :class:`Settings`: AWS ones by default, offline ones when
``PHOTOBOOTH_BACKEND=offline``. Built on first use and kept for the life of the process (a warm Lambda reuses
them); nothing is built at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

import boto3

from photobooth.config import Settings, get_settings
from photobooth.ports import (
    BoothKey,
    FaceDetector,
    ImageGenerator,
    Moderator,
    ObjectStore,
    Segmenter,
    StatusStore,
    Upscaler,
    WorkflowStarter,
)

if TYPE_CHECKING:  # the API functions import this module and must not load numpy or Pillow
    from photobooth.cutouts import SharedCutOuts
    from photobooth.kiosk import PinAttempts
    from photobooth.pacing import PaceStore


def settings() -> Settings:
    return get_settings()


@cache
def object_store() -> ObjectStore:
    from photobooth.aws.s3 import PATH_STYLE, S3ObjectStore, regional_client

    config = settings()
    if config.s3_public_endpoint:
        # The local server: its bucket has no DNS name, so path-style, and browsers get URLs of its own port.
        return S3ObjectStore(
            config.bucket_name,
            client=boto3.client("s3", config=PATH_STYLE),
            presign_client=boto3.client("s3", endpoint_url=config.s3_public_endpoint, config=PATH_STYLE),
        )
    return S3ObjectStore(config.bucket_name, client=regional_client(boto3.session.Session().region_name))


@cache
def status_store() -> StatusStore:
    from photobooth.aws.dynamodb import DynamoStatusStore

    return DynamoStatusStore(settings().table_name)


@cache
def model_pace() -> PaceStore:
    from photobooth import pacing
    from photobooth.aws.dynamodb import DynamoPace
    from photobooth.config import OFFLINE_MODEL_CALLS_PER_MINUTE

    # The offline painters have no quota: with the offline pace there is no spacing for the pre-steps' guess to
    # protect, and the guess (made for AWS) only held the first photo after a start back (docs/decisions.md).
    unmetered = (
        settings().backend == "offline" and settings().model_calls_per_minute >= OFFLINE_MODEL_CALLS_PER_MINUTE
    )
    return DynamoPace(settings().table_name, default_pre_seconds=0.0 if unmetered else pacing.DEFAULT_PRE_SECONDS)


@cache
def booth_key() -> BoothKey:
    config = settings()
    if config.booth_key_secret_arn:
        from photobooth.aws.secrets import SecretsManagerBoothKey

        return SecretsManagerBoothKey(config.booth_key_secret_arn, client=boto3.client("secretsmanager"))
    if config.backend == "offline":
        from photobooth.offline.boothkey import local_booth_key

        return local_booth_key()
    from photobooth.aws.secrets import RefuseEveryKey

    return RefuseEveryKey()  # fail closed: a deployment without the secret shows no pad what needs the key


@cache
def pin_attempts() -> PinAttempts:
    from photobooth.kiosk import InMemoryPinAttempts

    if settings().backend == "offline":  # photobooth serve: one process answers every pad
        return InMemoryPinAttempts()
    from photobooth.aws.dynamodb import DynamoPinAttempts

    return DynamoPinAttempts(settings().table_name)


@cache
def workflow_starter() -> WorkflowStarter:
    from photobooth.aws.stepfunctions import StepFunctionsStarter

    arn = settings().state_machine_arn
    if not arn:
        raise RuntimeError("PHOTOBOOTH_STATE_MACHINE_ARN is not set")
    return StepFunctionsStarter(arn)


@cache
def face_detector() -> FaceDetector:
    config = settings()
    if config.backend == "offline":
        from photobooth.offline.faces import BundledFaceDetector

        return BundledFaceDetector()
    from photobooth.aws.rekognition import RekognitionFaceDetector

    return RekognitionFaceDetector(eyewear_min_confidence=config.eyewear_min_confidence)


@cache
def segmenter() -> Segmenter:
    config = settings()
    if config.backend == "offline":
        from photobooth.offline.segmentation import offline_segmenter

        return offline_segmenter(config.offline_segmenter)
    if config.segmentation_backend == "selfie":
        from photobooth.offline.segmentation import offline_segmenter
        from photobooth.offline.selfie_model import SELFIE_ONNX

        # LiteRT has no wheel for Lambda's arm64; ONNX Runtime runs the same model there (the layer carries it).
        # Without it (a layer built by hand) the function cuts out with GrabCut and logs why, as offline.
        return offline_segmenter("selfie", model=SELFIE_ONNX)
    if config.segmentation_backend == "grabcut":
        from photobooth.offline.segmentation import GrabCutSegmenter

        return GrabCutSegmenter()
    from photobooth.aws.sagemaker import SamEndpointSegmenter

    return SamEndpointSegmenter(config.sam_endpoint_name)


def load_segmentation_model() -> None:
    """Build the segmenter now when it runs inside the function (the selfie model or GrabCut); the segment handler
    calls this at init. With SnapStart, init runs once per published version and every cold start resumes from its
    snapshot, so the model's import and session (~0.1 s) are paid at publishing, not by a visitor; AWS recommends
    initialising such resources in init code
    (https://docs.aws.amazon.com/lambda/latest/dg/snapstart-best-practices.html). Nothing in them is unique or random
    (an inference is deterministic; one thread, no pool; no connection), which is what a snapshot must not hold
    (photobooth.snapstart). The SAM segmenter is an AWS client: built on first use, after the restore, like every
    other client.

    Lambda only: the local engine imports the handlers in a background thread while it is still setting the
    environment up (``photobooth.local.batch``), so offline an import must cache no settings and build nothing. The
    check reads a fresh :class:`Settings` for that reason."""
    config = Settings()
    if config.backend == "aws" and config.segmentation_backend != "sam":
        segmenter()


@cache
def cut_outs() -> SharedCutOuts | None:
    """Offline, a photo's themes are made as threads of one process and share its cut-out; on Lambda each runs
    in a sandbox of its own (``photobooth.cutouts``)."""
    from photobooth.cutouts import SharedCutOuts

    return SharedCutOuts() if settings().backend == "offline" else None


@cache
def image_generator() -> ImageGenerator:
    config = settings()
    if config.backend == "offline":
        from photobooth.offline.scenes import ProceduralSceneGenerator

        if config.offline_style is not None:
            from photobooth.offline.painted import PaintedSceneGenerator

            return PaintedSceneGenerator(config.offline_style)
        return ProceduralSceneGenerator()
    from photobooth.aws.bedrock import BedrockImageGenerator

    return BedrockImageGenerator(
        config.bedrock_model_ids,
        region=config.bedrock_region,
        read_timeout=config.bedrock_read_timeout,
        reserve_seconds=config.generate_reserve_seconds,
    )


def image_generator_within(remaining_ms: Callable[[], int]) -> ImageGenerator:
    """The configured generator for one generate invocation, which must end before the function times out
    (``remaining_ms`` is the Lambda context's ``get_remaining_time_in_millis``). Offline generators take a second
    or two and need no budget."""
    from photobooth.aws.bedrock import BedrockImageGenerator

    generator = image_generator()
    if isinstance(generator, BedrockImageGenerator):
        return generator.with_time_budget(lambda: remaining_ms() / 1000)
    return generator


@cache
def upscaler() -> Upscaler:
    config = settings()
    if config.backend == "offline" or config.upscaler == "lanczos":
        from photobooth.offline.upscale import LanczosUpscaler

        return LanczosUpscaler()
    from photobooth.aws.upscale import BedrockFastUpscaler

    return BedrockFastUpscaler(config.upscale_model_id, region=config.bedrock_region)


@cache
def moderator() -> Moderator:
    config = settings()
    if config.backend == "offline" or config.moderation_backend == "none":
        from photobooth.offline.moderation import NoModeration

        return NoModeration()
    from photobooth.aws.moderation import RekognitionModerator

    return RekognitionModerator(min_confidence=config.moderation_min_confidence)


_FACTORIES = (
    upscaler,
    object_store,
    status_store,
    model_pace,
    booth_key,
    pin_attempts,
    workflow_starter,
    face_detector,
    segmenter,
    image_generator,
    cut_outs,
    moderator,
)


def reset() -> None:
    """Forget built adapters and settings (tests and the local server change the environment)."""
    get_settings.cache_clear()
    for factory in _FACTORIES:
        factory.cache_clear()
