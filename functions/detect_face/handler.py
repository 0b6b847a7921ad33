"""Workflow step "Detect faces": normalise the upload into work/ and find every face."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from photobooth import pipeline, wiring
from photobooth.observability import inject_lambda_context, label_log_lines, logger, metrics, tracer


@inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_parser(model=pipeline.DetectRequest)
def handler(request: pipeline.DetectRequest, context: LambdaContext) -> dict:
    label_log_lines(requestId=request.request_id)
    detection = pipeline.detect(
        request,
        store=wiring.object_store(),
        status=wiring.status_store(),
        detector=wiring.face_detector(),
        settings=wiring.settings(),
        moderator=wiring.moderator(),
    )
    logger.info("faces detected", extra={"faces": len(detection["faces"])})
    metrics.add_metric(name="FacesDetected", unit=MetricUnit.Count, value=len(detection["faces"]))
    return detection
