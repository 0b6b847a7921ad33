"""Workflow step "Cut out the people": one mask of everyone whose face was found."""

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from photobooth import pipeline, wiring
from photobooth.observability import inject_lambda_context, label_log_lines, metrics, tracer

wiring.load_segmentation_model()  # init: in SnapStart's snapshot, not in a visitor's cold start


@inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_parser(model=pipeline.SegmentRequest)
def handler(request: pipeline.SegmentRequest, context: LambdaContext) -> dict:
    label_log_lines(requestId=request.request_id)
    return pipeline.segment(
        request,
        store=wiring.object_store(),
        segmenter=wiring.segmenter(),
        status=wiring.status_store(),
        settings=wiring.settings(),
    )
