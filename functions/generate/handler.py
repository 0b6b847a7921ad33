"""Workflow steps "Book the model calls" (``{"action": "book", ...}``, once per photo) and "Generate image" (one
Map iteration per theme): the function that calls the image models also keeps their pace."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from photobooth import pipeline, wiring
from photobooth.observability import inject_lambda_context, label_log_lines, logger, metrics, tracer


@inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    if event.get("action") == "book":
        return book(parse(event=event, model=pipeline.BookRequest))
    return generate(parse(event=event, model=pipeline.GenerateRequest), context)


def book(request: pipeline.BookRequest) -> dict:
    label_log_lines(requestId=request.request_id)
    return pipeline.book_model_calls(request, pace=wiring.model_pace(), settings=wiring.settings())


def generate(request: pipeline.GenerateRequest, context: LambdaContext) -> dict:
    label_log_lines(requestId=request.request_id, theme=request.theme, index=request.index)
    result = pipeline.generate(
        request,
        store=wiring.object_store(),
        status=wiring.status_store(),
        generator=wiring.image_generator_within(context.get_remaining_time_in_millis),
        settings=wiring.settings(),
        moderator=wiring.moderator(),
        upscaler=wiring.upscaler(),
        shared_cut_outs=wiring.cut_outs(),
    )
    logger.info("image finished", extra={"status": result["status"]})
    metrics.add_metric(
        name="ImagesGenerated" if result["status"] == "SUCCEEDED" else "ImagesFailed", unit=MetricUnit.Count, value=1
    )
    return result
