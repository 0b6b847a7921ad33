"""The cost per visitor: the arithmetic against a hand-computed example, the transitions counted from the ASL, and
the estimate the workflow's steps leave in the status record."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from photobooth import api, cost, observability, pipeline
from photobooth.config import Settings
from photobooth.errors import NoFaceDetected
from photobooth.models import StepUsage
from photobooth.offline.faces import BundledFaceDetector
from photobooth.offline.scenes import ProceduralSceneGenerator
from photobooth.offline.segmentation import GrabCutSegmenter
from tests.support import portraits
from tests.support.fakes import MemoryObjectStore, MemoryStatusStore
from tests.support.steps import generate_request

ASL_PATH = Path(__file__).resolve().parents[2] / "statemachine" / "definition.asl.json"


def _record_of_three_images() -> dict:
    return {
        "requestId": "req-000001",
        "status": "PROCESSING",
        cost.DETECT_USAGE: {"seconds": 2.0, "memory_mb": 1024, "rekognition_images": 2},
        cost.SEGMENT_USAGE: {"seconds": 4.0, "memory_mb": 2048, "sam_seconds": 1.5},
        "images": {
            "1": {"index": 1, "theme": "a", "status": "SUCCEEDED", "usage": {
                "seconds": 10.0, "memory_mb": 1024, "model_id": "us.stability.stable-image-inpaint-v1:0",
                "width": 1024, "height": 768}},
            "2": {"index": 2, "theme": "b", "status": "SUCCEEDED", "usage": {
                "seconds": 8.0, "memory_mb": 1024, "model_id": "amazon.nova-canvas-v1:0",
                "width": 1024, "height": 1024}},
            "3": {"index": 3, "theme": "c", "status": "SUCCEEDED", "usage": {
                "seconds": 6.0, "memory_mb": 1024, "model_id": "amazon.titan-image-generator-v2:0",
                "width": 512, "height": 512}},
        },
    }  # fmt: skip


def test_three_images_from_three_models_cost_what_the_price_pages_say():
    """Hand-computed with the default prices (pricesAsOf 2026-11-30):

    bedrock        Stability inpaint 0.07 (flat) + Nova Canvas 1024x1024 0.04 + Titan v2 512x512 0.008  = 0.118
    rekognition    DetectFaces + DetectLabels = 2 images x 0.001                                         = 0.002
    lambda         GB-s: detect 2 s x 1 GB + segment 4 s x 2 GB + generate (10 + 8 + 6) s x 1 GB
                   + finalize 0.5 s x 0.25 GB = 34.125 GB-s x 0.0000133334 = 0.000455002...
                   + 6 invocations x 0.0000002 = 0.0000012                            -> 0.000456202 -> 0.000456
    stepfunctions  Is it a photo upload?, Read, Claim, Book, Detect, Cut, Map, 3 x (Wait, Generate image),
                   Record, Choice, Succeed = 16 transitions x 0.000025                              = 0.0004
    sagemaker      1.5 s of the SAM endpoint: 1.5 / 3600 h x 0.7364 = 0.000306833...               -> 0.000307
    usd            0.118 + 0.002 + 0.000456202 + 0.0004 + 0.000306833 = 0.121163035...            -> 0.121163
    """
    usage = cost.usage_of_request(
        _record_of_three_images(),
        finalize=StepUsage(seconds=0.5, memory_mb=256),
        images_made=3,
        images_noted_failed=0,
    )

    estimate = cost.estimate(usage, cost.Prices())

    assert usage.transitions == 16
    assert estimate.breakdown == {
        "bedrock": 0.118,
        "rekognition": 0.002,
        "lambda": 0.000456,
        "stepfunctions": 0.0004,
        "sagemaker": 0.000307,
    }
    assert estimate.usd == 0.121163
    assert estimate.as_record()["pricesAsOf"] == "2026-11-30"


def test_a_photo_without_a_face_costs_one_rekognition_image_and_the_short_path():
    """DetectFaces only (0.001); 1 s x 1 GB + 0.5 s x 0.25 GB = 1.125 GB-s x 0.0000133334 = 0.0000150 plus two
    requests 0.0000004 -> 0.0000154 -> 0.000015; Is it a photo upload?, Read, Claim, Book, Detect, Record the
    failure, Fail = 7 x 0.000025 = 0.000175; usd 0.001 + 0.0000154 + 0.000175 = 0.0011904 -> 0.00119."""
    record = {cost.DETECT_USAGE: {"seconds": 1.0, "memory_mb": 1024, "rekognition_images": 1, "passed": False}}
    usage = cost.usage_of_request(
        record, finalize=StepUsage(seconds=0.5, memory_mb=256), images_made=0, images_noted_failed=0
    )

    estimate = cost.estimate(usage, cost.Prices())

    assert usage.transitions == 7
    assert estimate.breakdown == {
        "bedrock": 0.0,
        "rekognition": 0.001,
        "lambda": 0.000015,
        "stepfunctions": 0.000175,
        "sagemaker": 0.0,
    }
    assert estimate.usd == 0.00119


@pytest.mark.parametrize(
    ("model_id", "size", "usd"),
    [
        ("amazon.titan-image-generator-v2:0", (512, 512), 0.008),
        ("amazon.titan-image-generator-v2:0", (1024, 768), 0.01),
        ("amazon.nova-canvas-v1:0", (1024, 1024), 0.04),
        ("us.amazon.nova-canvas-v1:0", (2048, 1536), 0.06),
        ("us.stability.stable-image-inpaint-v1:0", (1536, 1024), 0.07),
        ("arn:aws:bedrock:us-west-2::foundation-model/stability.stable-image-inpaint-v1:0", (64, 64), 0.07),
        ("someone.unpriced-model-v9", (1024, 1024), 0.08),
    ],
)
def test_bedrock_images_are_priced_by_model_and_size(model_id, size, usd):
    assert cost.Prices().image_usd(model_id, *size) == usd


def test_prices_come_from_the_environment_with_the_date_they_were_taken(monkeypatch):
    monkeypatch.setenv("PHOTOBOOTH_PRICES", json.dumps({"pricesAsOf": "2027-01-15", "rekognition_image_usd": 0.0008}))

    prices = Settings().prices

    assert prices.prices_as_of == date(2027, 1, 15) and prices.rekognition_image_usd == 0.0008
    assert prices.lambda_gb_second_usd == cost.Prices().lambda_gb_second_usd  # unnamed lines keep the defaults


def test_a_negative_price_is_refused():
    with pytest.raises(ValidationError):
        cost.Prices(bedrock_image_usd={"amazon.nova-canvas-v1:0": ({"usd": -1},)})


def test_lambda_memory_is_the_runtimes_own_figure_when_there_is_one(monkeypatch):
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", raising=False)
    assert cost.memory_mb("segment") == 2048
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3008")
    assert cost.memory_mb("segment") == 3008


# --- the state transitions, recounted from statemachine/definition.asl.json ---------------------------------


def _next_states(state: dict) -> list[str]:
    targets = [state.get("Next"), state.get("Default")]
    targets += [choice.get("Next") for choice in state.get("Choices", [])]
    return [t for t in targets if t]


def _states_until_the_end(states: dict, start: str) -> set[int]:
    """The number of states entered from ``start`` (included) to a terminal state, for every branch."""
    state = states[start]
    if state["Type"] in {"Succeed", "Fail"} or state.get("End"):
        return {1}
    return {1 + n for target in _next_states(state) for n in _states_until_the_end(states, target)}


def _states_before(states: dict, start: str, goal: str) -> int:
    """How many states a run enters before ``goal`` on the shortest way from ``start`` (no Catch taken)."""
    frontier, seen, steps = [start], {start}, 0
    while frontier:
        if goal in frontier:
            return steps
        frontier = [t for name in frontier for t in _next_states(states[name]) if t not in seen]
        seen.update(frontier)
        steps += 1
    raise AssertionError(f"{goal!r} cannot be reached from {start!r}")


def test_the_transition_counts_match_the_state_machine():
    asl = json.loads(ASL_PATH.read_text())
    states = asl["States"]
    assert _states_before(states, asl["StartAt"], "Detect faces") == cost.STATES_BEFORE_DETECT

    assert states["Detect faces"]["Next"] == "Cut out the people"
    generate_map = states["Cut out the people"]["Next"]
    assert states[generate_map]["Type"] == "Map"
    assert states[generate_map]["Next"] == "Record the result"
    assert _states_until_the_end(states, "Record the result") == {cost.STATES_AFTER_IMAGES}
    assert _states_until_the_end(states, "Record the failure") == {cost.STATES_AFTER_FAILURE}

    iteration = states[generate_map]["ItemProcessor"]
    wait = iteration["States"][iteration["StartAt"]]  # the model call's slot (photobooth.pacing)
    assert wait["Type"] == "Wait"
    generate = iteration["States"][wait["Next"]]
    assert generate["End"] and cost.STATES_PER_IMAGE == 2
    noted = generate["Catch"][0]["Next"]
    assert iteration["States"][noted]["End"]  # a spent retry adds exactly one state


# --- the estimate the steps leave in the status record ------------------------------------------------------

STABILITY = "us.stability.stable-image-inpaint-v1:0"
SETTINGS = Settings(backend="offline", bedrock_model_ids=(STABILITY, "amazon.nova-canvas-v1:0"))


def _run_offline(status: MemoryStatusStore, store: MemoryObjectStore, themes: list[str]) -> dict:
    store.put("photo/req-000001/me.jpg", portraits.jpeg_bytes(), "image/jpeg")
    detection = pipeline.detect(
        pipeline.DetectRequest(requestId="req-000001", bucket="b", key="photo/req-000001/me.jpg"),
        store=store,
        status=status,
        detector=BundledFaceDetector(),
        settings=SETTINGS,
    )
    mask_key = pipeline.segment(
        pipeline.SegmentRequest(requestId="req-000001", bucket="b", detection=detection),
        store=store,
        segmenter=GrabCutSegmenter(),
        status=status,
        settings=SETTINGS,
    )["maskKey"]
    images = []
    for index, theme in enumerate(themes, start=1):
        request = generate_request(
            detection, mask_key, request_id="req-000001", key="photo/req-000001/me.jpg", theme=theme, index=index
        )
        generated = pipeline.generate(
            request, store=store, status=status, generator=ProceduralSceneGenerator(), settings=SETTINGS
        )
        assert "usage" not in generated  # the workflow's payload keeps its shape; the record has the usage
        images.append(generated)
    return pipeline.finalize(
        pipeline.FinalizeRequest(requestId="req-000001", uploadedAt="2026-11-30T10:00:00Z", images=images),
        status=status,
        store=store,
        settings=SETTINGS,
        now=datetime(2026, 11, 30, 10, 0, 20, tzinfo=UTC),
    )


def test_finalize_writes_the_cost_of_what_the_request_used_on_its_terminal_record(monkeypatch):
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", raising=False)
    status, store = MemoryStatusStore(), MemoryObjectStore()
    status.create_pending({"requestId": "req-000001", "status": "PROCESSING", "images": {}})

    outcome = _run_offline(status, store, ["cosmos", "forest"])

    record = status.items["req-000001"]
    assert record["status"] == "SUCCEEDED"
    written = record["cost"]
    assert set(written) == {"usd", "breakdown", "pricesAsOf"} and written["pricesAsOf"] == "2026-11-30"
    # Offline, the first configured model stands in for the painter: two Stability inpaint images.
    assert written["breakdown"]["bedrock"] == pytest.approx(2 * 0.07)
    # DetectModerationLabels + DetectFaces + DetectLabels on the photo, one moderation check per painted image.
    assert written["breakdown"]["rekognition"] == pytest.approx((3 + 2) * 0.001)
    assert written["breakdown"]["stepfunctions"] == pytest.approx((4 + 2 + 1 + 2 * 2 + 3) * 0.000025)
    assert written["breakdown"]["sagemaker"] == 0.0  # offline segmentation stands for GrabCut in Lambda
    assert written["breakdown"]["lambda"] > 0
    assert written["usd"] == pytest.approx(sum(written["breakdown"].values()), abs=1e-6)
    assert outcome["cost"] == written and outcome["imagesByModel"] == {STABILITY: 2}
    assert outcome["timeTaken"] == 20.0


def test_finalize_of_a_failure_costs_only_what_ran():
    status, store = MemoryStatusStore(), MemoryObjectStore()
    status.create_pending({"requestId": "req-000001", "status": "PROCESSING", "images": {}})
    store.put("photo/req-000001/cat.jpg", portraits.jpeg_bytes(portraits.cat()), "image/jpeg")
    request = pipeline.DetectRequest(requestId="req-000001", bucket="b", key="photo/req-000001/cat.jpg")
    with pytest.raises(NoFaceDetected):
        pipeline.detect(request, store=store, status=status, detector=BundledFaceDetector(), settings=SETTINGS)

    outcome = pipeline.finalize(
        pipeline.FinalizeRequest(requestId="req-000001", error={"Error": "NoFaceDetected", "Cause": "{}"}),
        status=status,
        store=store,
        settings=SETTINGS,
    )

    breakdown = status.items["req-000001"]["cost"]["breakdown"]
    assert outcome["errorCode"] == "NO_FACE" and outcome["imagesByModel"] == {}
    assert breakdown["bedrock"] == 0.0 and breakdown["rekognition"] == pytest.approx(2 * 0.001)  # moderation, faces
    assert breakdown["stepfunctions"] == pytest.approx(7 * 0.000025)


def test_an_erased_request_gets_no_cost():
    status, store = MemoryStatusStore(), MemoryObjectStore()
    status.erase("req-000001", until=2_000_000_000)

    outcome = pipeline.finalize(
        pipeline.FinalizeRequest(requestId="req-000001", lateUpload=True),
        status=status,
        store=store,
        settings=SETTINGS,
    )

    assert "cost" not in outcome and "cost" not in status.items["req-000001"]


# --- the metrics the finalize function publishes ------------------------------------------------------------


def _value(emf_value: float | list[float]) -> float:
    """EMF writes a metric's value alone or as a list of the values added."""
    return emf_value[0] if isinstance(emf_value, list) else emf_value


def _emf_blobs(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{") and '"_aws"' in line]


def test_a_finished_request_publishes_its_cost_per_event_its_time_its_failure_code_and_its_models(
    capsys, monkeypatch
):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    outcome = {
        "requestId": "req-000001",
        "status": "PARTIAL",
        "timeTaken": 14.5,
        "errorCode": None,
        "cost": {"usd": 0.0712, "breakdown": {}, "pricesAsOf": "2026-11-30"},
        "imagesByModel": {STABILITY: 1},
    }
    try:
        observability.publish_outcome_metrics(outcome, event_name="wedding-2026-12")
        observability.metrics.flush_metrics()  # what the handler's decorator does at its end
    finally:
        observability.metrics.clear_metrics()

    blobs = _emf_blobs(capsys.readouterr().out)
    by_dimensions = {
        (name["Name"], tuple(sorted(blob["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]))): blob
        for blob in blobs
        for name in blob["_aws"]["CloudWatchMetrics"][0]["Metrics"]
    }
    per_event = by_dimensions[("CostPerRequest", ("event", "service"))]
    assert per_event["event"] == "wedding-2026-12" and _value(per_event["CostPerRequest"]) == 0.0712
    overall = by_dimensions[("CostPerRequest", ("service",))]
    assert _value(overall["CostPerRequest"]) == 0.0712 and _value(overall["TimeTaken"]) == 14.5
    assert by_dimensions[("ImagesByModel", ("model", "service"))]["model"] == STABILITY
    assert not any(name == "RequestsFailedByCode" for name, _ in by_dimensions)


def test_a_failed_request_is_counted_under_its_error_code(capsys, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    outcome = {"timeTaken": 3.0, "errorCode": "NO_FACE", "cost": {"usd": 0.00114}, "imagesByModel": {}}
    try:
        observability.publish_outcome_metrics(outcome, event_name="default")
    finally:
        observability.metrics.clear_metrics()

    failed = [b for b in _emf_blobs(capsys.readouterr().out) if "RequestsFailedByCode" in b]
    assert len(failed) == 1 and failed[0]["errorCode"] == "NO_FACE" and failed[0]["service"] == "photobooth"


# --- GET /photo/{id} -----------------------------------------------------------------------------------------


def _status_answer(record: dict) -> dict:
    status = MemoryStatusStore()
    status.create_pending({"requestId": "req-000001", "themeList": "cosmos", **record})
    return api.get_status("req-000001", settings=SETTINGS, store=MemoryObjectStore(), status=status)


def test_the_status_answers_no_cost_while_the_request_runs():
    detected = {cost.DETECT_USAGE: {"seconds": 1.0, "memory_mb": 1024, "rekognition_images": 2}}
    assert "cost" not in _status_answer({"status": "PENDING_UPLOAD"})
    assert "cost" not in _status_answer({"status": "PROCESSING", **detected})


def test_the_status_answers_the_cost_finalize_wrote():
    written = {"usd": 0.1, "breakdown": {"bedrock": 0.1}, "pricesAsOf": "2026-11-30"}
    assert _status_answer({"status": "SUCCEEDED", "cost": written})["cost"] == written


def test_a_run_that_died_before_finalize_still_answers_a_cost_from_what_its_steps_noted():
    """Marked FAILED by the execution-ended function after detect passed and segmentation crashed: 2 Rekognition
    images (0.002), 1 s x 1 GB (0.0000133 + one request) and 8 states: Is it a photo upload?, Read, Claim, Book,
    Detect, Cut, Record the failure, Fail."""
    detected = {cost.DETECT_USAGE: {"seconds": 1.0, "memory_mb": 1024, "rekognition_images": 2}}

    answer = _status_answer({"status": "FAILED", "errorCode": "INTERNAL", **detected})

    assert answer["cost"]["breakdown"]["rekognition"] == 0.002
    assert answer["cost"]["breakdown"]["stepfunctions"] == pytest.approx(8 * 0.000025)
    assert answer["cost"]["breakdown"]["lambda"] == pytest.approx(0.0000133334 + 0.0000002, abs=1e-6)


# --- the model that painted, as the Bedrock adapter names it --------------------------------------------------


def test_the_bedrock_generator_names_the_fallback_model_that_painted():
    from photobooth.aws.bedrock import BedrockImageGenerator
    from photobooth.models import Theme
    from tests.unit.test_aws_bedrock import FakeBedrockRuntime, b64_image, client_error

    image = portraits.astronaut()
    mask = np.zeros((image.height, image.width), np.uint8)
    mask[100:400, 150:350] = 255
    client = FakeBedrockRuntime(
        {
            STABILITY: client_error("AccessDeniedException"),
            "amazon.nova-canvas-v1:0": {"images": [b64_image(image.size)], "error": None},
        }
    )
    generator = BedrockImageGenerator((STABILITY, "amazon.nova-canvas-v1:0"), client=client)

    painted = generator.generate(image, mask, Theme(name="forest", prompt="a forest"), seed=1)

    assert painted.info[cost.MODEL_ID_INFO] == "amazon.nova-canvas-v1:0"


def test_a_photo_refused_by_the_content_check_costs_one_rekognition_image_and_no_model():
    from photobooth.errors import PhotoRejected
    from photobooth.ports import ModerationLabel

    class Refusing:
        def moderation_labels(self, image):
            return [ModerationLabel(name="Violence", ancestors=(), confidence=99.0)]

    status, store = MemoryStatusStore(), MemoryObjectStore()
    status.create_pending({"requestId": "req-000001", "status": "PROCESSING", "images": {}})
    store.put("photo/req-000001/me.jpg", portraits.jpeg_bytes(), "image/jpeg")
    request = pipeline.DetectRequest(requestId="req-000001", bucket="b", key="photo/req-000001/me.jpg")
    with pytest.raises(PhotoRejected):
        pipeline.detect(
            request,
            store=store,
            status=status,
            detector=BundledFaceDetector(),
            settings=SETTINGS,
            moderator=Refusing(),
        )

    pipeline.finalize(
        pipeline.FinalizeRequest(requestId="req-000001", error={"Error": "PhotoRejected", "Cause": "{}"}),
        status=status,
        store=store,
        settings=SETTINGS,
    )

    breakdown = status.items["req-000001"]["cost"]["breakdown"]
    assert breakdown["rekognition"] == pytest.approx(0.001) and breakdown["bedrock"] == 0.0  # DetectModerationLabels
    assert breakdown["stepfunctions"] == pytest.approx(7 * 0.000025)  # the run ended at Detect faces


def test_an_image_grown_by_the_bedrock_upscaler_adds_that_models_price():
    """Two painted images (Stability inpaint through its profile), one of them also grown by Fast Upscale:
    bedrock = 2 x inpaint + 1 x fast upscale, priced from the same table."""
    from photobooth.cost import Prices, RequestUsage, estimate
    from photobooth.models import StepUsage

    prices = Prices()
    painted = {"memory_mb": 1024, "model_id": "us.stability.stable-image-inpaint-v1:0", "width": 1024, "height": 768}
    usage = RequestUsage(
        images=[
            StepUsage(**painted),
            StepUsage(**painted, upscale_model_id="us.stability.stable-fast-upscale-v1:0"),
        ]
    )

    bedrock = estimate(usage, prices).breakdown["bedrock"]

    inpaint = prices.image_usd("stability.stable-image-inpaint-v1:0", 1024, 768)
    upscale = prices.image_usd("stability.stable-fast-upscale-v1:0", 1024, 1024)
    assert upscale > 0 and bedrock == round(2 * inpaint + upscale, 6)


def test_disabled_metrics_are_forgotten_at_each_flush(monkeypatch):
    """The local server runs with metrics disabled: a handler's flush must not keep the values (it grew for ever
    and leaked one request's cost into the next request's metrics)."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")

    @observability.metrics.log_metrics  # what every handler does
    def handler(event: dict, context: object) -> None:
        observability.metrics.add_metric(name="CostPerRequest", unit="None", value=0.5)

    handler({}, None)

    assert observability.metrics.provider.metric_set == {}
