"""POST /upload (presigned upload URL) and POST /photo (start for an uploaded key)."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from photobooth import api, wiring
from photobooth.http import create_resolver, json_response, request_body
from photobooth.observability import logger, metrics, tracer

app = create_resolver(logger)


@app.post("/upload")
def create_upload() -> dict:
    answer = api.create_upload(
        request_body(app), settings=wiring.settings(), store=wiring.object_store(), status=wiring.status_store()
    )
    logger.info("upload URL issued", extra={"requestId": answer["requestId"]})
    metrics.add_metric(name="UploadsRequested", unit=MetricUnit.Count, value=1)
    return answer


@app.post("/photo")
def start_for_uploaded():
    answer = api.start_for_uploaded(
        request_body(app),
        settings=wiring.settings(),
        store=wiring.object_store(),
        status=wiring.status_store(),
        starter=wiring.workflow_starter(),
    )
    return json_response(202, answer)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
