"""Names and fixed numbers of the deployment, in one place.

Everything an operator may change lives in :mod:`photobooth_infra.config`; what is here is part of the design
(the storage layout of CONTRACT.md, the function folders of docs/architecture.md) or the sizing of the functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from photobooth.config import ANSWER_MARGIN_SECONDS

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA_DIR = REPO_ROOT / "infra"
FUNCTIONS_DIR = REPO_ROOT / "functions"
AUTHORIZER_DIR = INFRA_DIR / "authorizer"
ASL_PATH = REPO_ROOT / "statemachine" / "definition.asl.json"
WEB_DIR = REPO_ROOT / "web"
DOMAIN_PACKAGE_DIR = REPO_ROOT / "src" / "photobooth"
DEFAULT_LAYER_DIR = INFRA_DIR / ".layer"
DEFAULT_OUTDIR = REPO_ROOT / "cdk.out"

# Storage layout (CONTRACT.md). Only PHOTO_PREFIX triggers the workflow.
PHOTO_PREFIX = "photo/"
WORK_PREFIX = "work/"
GENERATED_PREFIX = "generated/"
WALL_PREFIX = "wall/"  # the event wall's screen-size copies, keyed by a random wallId (src/photobooth/wall.py)

# Status table (docs/architecture.md).
TABLE_PARTITION_KEY = "requestId"
TABLE_TTL_ATTRIBUTE = "expiresAt"

# Lambda platform. The layer is built for exactly this interpreter and architecture (infra/build_layer.py).
# 3.13, not the newest runtime: the layer's bytecode must be compiled by a Python of the runtime's minor version,
# and the machines that run `make layer` have pyenv's 3.12 and 3.13 but no 3.14 (docs/decisions.md, issue 21).
# SnapStart needs Python 3.12 or later (https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html).
PYTHON_RUNTIME = lambda_.Runtime.PYTHON_3_13
PYTHON_VERSION = "3.13"
ARCHITECTURE = lambda_.Architecture.ARM_64
# Lambda runs Amazon Linux 2023 (glibc 2.34); Pillow 13 only ships manylinux_2_28 wheels, most others 2014.
LAYER_PLATFORMS = ("manylinux_2_28_aarch64", "manylinux2014_aarch64")
LAYER_CONTENT_SUBDIR = "python"
HANDLER = "handler.handler"
# Every caller (API routes, authorizer, workflow, execution-ended rule) invokes this alias of the published version:
# SnapStart restores published versions only, never $LATEST (functions.live_alias).
LIVE_ALIAS = "live"
# The booth-key authorizer compares one header with a cached secret.
AUTHORIZER_MEMORY_MB = 128
# Lambda SnapStart for Python, us-east-1 (https://aws.amazon.com/lambda/pricing/): the cached snapshot of every active
# published version, per GB of function memory and second (at least 3 hours), and each restore, per GB restored.
SNAPSTART_CACHE_USD_PER_GB_SECOND = 0.0000015046
SNAPSTART_RESTORE_USD_PER_GB = 0.0001397998

POWERTOOLS_SERVICE_NAME = "photobooth"
METRICS_NAMESPACE = "Photobooth"

# The booth pads send the booth key in this header; the Lambda authorizer compares it with the secret.
BOOTH_KEY_HEADER = "x-booth-key"


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda: its folder under functions/, its size and what it is for."""

    name: str
    memory_mb: int
    timeout: Duration
    description: str

    @property
    def code_dir(self) -> Path:
        return FUNCTIONS_DIR / self.name


# API Gateway ends an HTTP API integration after 30 s, its default and its maximum (AWS::ApiGatewayV2::Integration
# TimeoutInMillis: "between 50 and 30,000 milliseconds for HTTP APIs. The default timeout is ... 30 seconds for HTTP
# APIs", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigatewayv2-integration.html).
API_INTEGRATION_TIMEOUT = Duration.seconds(30)
# What presign needs after POST /photo's wait ends: one more status read and the presigned URLs of the answer. The
# run-time budget keeps the same margin (photobooth.api.photo_wait_budget), so the setting's upper bound is a wait
# the function really waits.
PHOTO_WAIT_MARGIN_SECONDS = ANSWER_MARGIN_SECONDS
# POST /photo waits up to photo_wait_seconds (config.py) for the result, inside the integration's 30 s; the
# function may run as long as the integration, since the wait plus the margin ends first. Waiting is billed: 256 MB.
PRESIGN = FunctionSpec("presign", 256, API_INTEGRATION_TIMEOUT, "POST /upload and POST /photo")
STATUS = FunctionSpec(
    "status",
    256,
    Duration.seconds(10),
    "GET and DELETE /photo/{requestId}, GET /themes, GET /wall/photos, POST /kiosk/unlock",
)
DETECT_FACE = FunctionSpec("detect_face", 1024, Duration.seconds(30), "Normalise the photo, find faces and eyewear")
# GrabCut on a 1024 px working image is CPU bound; 2 GB gives the function a second vCPU share. With SAM the
# endpoint call may take the client's whole 70 s read timeout (a container must answer within 60 s).
SEGMENT = FunctionSpec("segment", 2048, Duration.seconds(100), "One mask of the people from all face boxes")
# One Bedrock image takes 5-30 s, but one model may use its whole budget (read timeout x attempts) before the
# generator moves on; the generator checks the time left before it tries the next model.
GENERATE = FunctionSpec("generate", 1024, Duration.seconds(300), "One themed image per invocation")
FINALIZE = FunctionSpec("finalize", 256, Duration.seconds(15), "Terminal status with time_taken")
# Started by EventBridge when an execution fails, times out or is aborted: no request may stay PROCESSING.
EXECUTION_ENDED = FunctionSpec(
    "execution_ended", 256, Duration.seconds(30), "Mark a request FAILED when its workflow execution ended early"
)

API_FUNCTIONS = (PRESIGN, STATUS)
WORKFLOW_FUNCTIONS = (DETECT_FACE, SEGMENT, GENERATE, FINALIZE)
EVENT_FUNCTIONS = (EXECUTION_ENDED,)
ALL_FUNCTIONS = API_FUNCTIONS + WORKFLOW_FUNCTIONS + EVENT_FUNCTIONS

# HTTP API routes (CONTRACT.md) -> the function that serves them.
API_ROUTES: tuple[tuple[str, str, FunctionSpec], ...] = (
    ("POST", "/upload", PRESIGN),
    ("POST", "/photo", PRESIGN),
    ("GET", "/photo/{requestId}", STATUS),
    ("DELETE", "/photo/{requestId}", STATUS),
    ("GET", "/themes", STATUS),
    ("GET", "/wall/photos", STATUS),
    # The operator's kiosk PIN (photobooth.kiosk): a POST, so it needs the booth key like every other.
    ("POST", "/kiosk/unlock", STATUS),
)
_REQUEST_CAPABILITY = (
    "Visitor route: the phone that scanned the QR code reads or erases one request by its random 128-bit "
    "requestId (a capability URL); it starts no work and costs nothing."
)
# Routes called without the booth key, and why that is safe (the cdk-nag acknowledgment). Starting work (and
# spending on models) needs the booth key.
VISITOR_ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/photo/{requestId}"): _REQUEST_CAPABILITY,
    ("DELETE", "/photo/{requestId}"): _REQUEST_CAPABILITY,
    ("GET", "/themes"): "Visitor route: the theme names and labels the booth offers; it starts no work.",
    ("GET", "/wall/photos"): "Event wall (a big screen, no booth key): only the newest results of visitors who "
    "ticked the wall consent, read through a sparse index, at most 30; it starts no work.",
}
# CloudFront path patterns that go to the API (the seed's single domain). `/wall` itself is the page (web/wall.html).
API_PATH_PATTERNS = ("/upload", "/photo*", "/themes", "/wall/photos", "/kiosk/*")
# The page paths CloudFront rewrites to a file of web/ (delivery.py), as `photobooth serve` does locally.
PAGE_ALIASES = {"/wall": "/wall.html"}

# EventBridge -> Step Functions delivery.
EVENT_RETRY_ATTEMPTS = 8
EVENT_MAX_AGE = Duration.hours(2)
DLQ_RETENTION = Duration.days(14)

# Incomplete multipart uploads are never useful here.
ABORT_INCOMPLETE_UPLOAD_AFTER = Duration.days(1)

# CloudWatch Logs accepts only these retention periods (days -> CDK enum).
_R = logs.RetentionDays
LOG_RETENTION: dict[int, logs.RetentionDays] = {
    1: _R.ONE_DAY,
    3: _R.THREE_DAYS,
    5: _R.FIVE_DAYS,
    7: _R.ONE_WEEK,
    14: _R.TWO_WEEKS,
    30: _R.ONE_MONTH,
    60: _R.TWO_MONTHS,
    90: _R.THREE_MONTHS,
    120: _R.FOUR_MONTHS,
    150: _R.FIVE_MONTHS,
    180: _R.SIX_MONTHS,
    365: _R.ONE_YEAR,
    400: _R.THIRTEEN_MONTHS,
    545: _R.EIGHTEEN_MONTHS,
    731: _R.TWO_YEARS,
    1096: _R.THREE_YEARS,
    1827: _R.FIVE_YEARS,
    2192: _R.SIX_YEARS,
    2557: _R.SEVEN_YEARS,
    2922: _R.EIGHT_YEARS,
    3288: _R.NINE_YEARS,
    3653: _R.TEN_YEARS,
}
