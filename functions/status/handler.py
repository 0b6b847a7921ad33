"""GET /photo/{requestId} (the booth pad polls it), DELETE /photo/{requestId} (erasure), GET /themes,
GET /wall/photos (the event wall's opted-in pictures)."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from photobooth import api, wall, wiring
from photobooth.http import create_resolver, json_response
from photobooth.observability import inject_lambda_context, logger, metrics, tracer

app = create_resolver(logger)


def _caller() -> api.Caller:
    return api.Caller(presented_key=app.current_event.headers.get(api.BOOTH_KEY_HEADER), booth_key=wiring.booth_key)


@app.get("/photo/<request_id>")
def get_status(request_id: str) -> dict:
    return api.get_status(
        request_id,
        settings=wiring.settings(),
        store=wiring.object_store(),
        status=wiring.status_store(),
        caller=_caller(),
    )


@app.delete("/photo/<request_id>")
def erase(request_id: str):
    api.erase(
        request_id,
        settings=wiring.settings(),
        store=wiring.object_store(),
        status=wiring.status_store(),
        caller=_caller(),
    )
    logger.info("request erased on request", extra={"requestId": request_id})
    metrics.add_metric(name="ErasureRequests", unit=MetricUnit.Count, value=1)
    return json_response(204)


@app.get("/themes")
def themes() -> list[dict]:
    return api.list_themes(wiring.settings())


@app.get("/wall/photos")
def wall_photos() -> dict:
    return wall.list_wall(settings=wiring.settings(), store=wiring.object_store(), status=wiring.status_store())


@inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
