"""POST /upload (presigned upload URL) and POST /photo (start for an uploaded key, waiting for the result)."""

import json
import time

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from photobooth import api, naming, wiring
from photobooth.http import create_resolver, json_response, request_body
from photobooth.observability import inject_lambda_context, logger, metrics, tracer

app = create_resolver(logger)


@app.post("/upload")
def create_upload() -> dict:
    settings = wiring.settings()
    answer = api.create_upload(
        request_body(app),
        settings=settings,
        store=wiring.object_store(),
        status=wiring.status_store(),
        pace=wiring.model_pace(),
    )
    logger.info(
        "upload URL issued",
        extra={"requestId": answer["requestId"], "requestCode": naming.short_code(answer["requestId"])},
    )
    metrics.add_metric(name="UploadsRequested", unit=MetricUnit.Count, value=1)
    if settings.seed_compat_envelope:
        # The seed's pads ran JSON.parse(response.body) on this shape (docs/decisions.md).
        return {"statusCode": 200, "body": json.dumps(answer)}
    return answer


@app.post("/photo")
def start_for_uploaded():
    status_code, answer = api.start_for_uploaded(
        request_body(app),
        settings=wiring.settings(),
        store=wiring.object_store(),
        status=wiring.status_store(),
        starter=wiring.workflow_starter(),
        respond_async="respond-async" in (app.current_event.headers.get("prefer") or "").lower(),
        budget=_wait_budget,
    )
    logger.info("start requested", extra={"requestId": answer["requestId"], "answered": status_code})
    return json_response(status_code, answer)


def _wait_budget(wanted: float) -> float:
    """Measured where the wait starts: the time since API Gateway received the request and the time left."""
    context = app.lambda_context
    return api.photo_wait_budget(
        wanted,
        received_epoch_ms=app.current_event.request_context.time_epoch,
        now_epoch_ms=int(time.time() * 1000),
        remaining_ms=context.get_remaining_time_in_millis() if context is not None else None,
    )


@inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
