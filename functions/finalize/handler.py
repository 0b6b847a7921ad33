"""Workflow steps "Record the result" and "Record the failure": the request's terminal status."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from photobooth import pipeline, wiring
from photobooth.observability import (
    inject_lambda_context,
    label_log_lines,
    logger,
    metrics,
    publish_outcome_metrics,
    tracer,
)


@inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_parser(model=pipeline.FinalizeRequest)
def handler(request: pipeline.FinalizeRequest, context: LambdaContext) -> dict:
    label_log_lines(requestId=request.request_id)
    settings = wiring.settings()
    outcome = pipeline.finalize(
        request,
        status=wiring.status_store(),
        store=wiring.object_store(),
        settings=settings,
        shared_cut_outs=wiring.cut_outs(),
        pace=wiring.model_pace(),
    )
    logger.info("request finished", extra={"status": outcome["status"], "cost": outcome.get("cost")})
    metrics.add_metric(name=f"Requests{outcome['status'].title()}", unit=MetricUnit.Count, value=1)
    publish_outcome_metrics(outcome, event_name=settings.event_name)
    return {"requestId": outcome["requestId"], "status": outcome["status"]}
