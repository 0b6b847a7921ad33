"""POST /upload (presigned upload URL) and POST /photo (start for an uploaded key, waiting for the result)."""

import json

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from photobooth import api, naming, wiring
from photobooth.http import create_resolver, json_response, request_body
from photobooth.observability import logger, metrics, tracer

app = create_resolver(logger)


@app.post("/upload")
def create_upload() -> dict:
    settings = wiring.settings()
    answer = api.create_upload(
        request_body(app), settings=settings, store=wiring.object_store(), status=wiring.status_store()
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
    )
    logger.info("start requested", extra={"requestId": answer["requestId"], "answered": status_code})
    return json_response(status_code, answer)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
