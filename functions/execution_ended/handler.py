"""EventBridge target for "Step Functions Execution Status Change" (FAILED, TIMED_OUT, ABORTED): a run that died
without recording its end leaves no request PROCESSING."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from photobooth import lifecycle, wiring
from photobooth.observability import inject_lambda_context, label_log_lines, logger, metrics, tracer


@inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    detail = event.get("detail") or {}
    request_id = lifecycle.request_id_of_execution(detail)
    if request_id is None:
        logger.info("execution without a request ended", extra={"executionStatus": detail.get("status")})
        return {"requestId": None, "failed": False}
    label_log_lines(requestId=request_id)
    failed = lifecycle.fail_unfinished(
        request_id, status=wiring.status_store(), retention_days=wiring.settings().retention_days
    )
    logger.info(
        "execution ended without a result",
        extra={"executionStatus": detail.get("status"), "markedFailed": failed},
    )
    if failed:
        metrics.add_metric(name="RequestsEndedByExecutionFailure", unit=MetricUnit.Count, value=1)
    return {"requestId": request_id, "failed": failed}
