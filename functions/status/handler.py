"""GET /photo/{requestId} (the booth pad polls it), DELETE /photo/{requestId} (erasure), GET /themes,
GET /wall/photos (the event wall's opted-in pictures), POST /kiosk/unlock (the operator's PIN)."""

import math
import time

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from photobooth import api, kiosk, wall, wiring
from photobooth.http import create_resolver, json_response, request_body
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
        pace=wiring.model_pace(),
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


@app.post("/kiosk/unlock")
def unlock_kiosk():
    settings = wiring.settings()
    try:
        kiosk.unlock(
            request_body(app),
            pin_hash=settings.kiosk_pin_hash,
            plain_pin=settings.kiosk_pin.get_secret_value() if settings.kiosk_pin else None,
            attempts=wiring.pin_attempts(),
            now=time.time(),
        )
    except kiosk.KioskOff:
        return json_response(404, {"message": "kiosk mode is off: no operator PIN is configured"})
    except kiosk.TooManyAttempts as wait:
        seconds = math.ceil(wait.retry_after)
        # Not a warning: a burst of guesses would flood the console; the wrong PINs that were checked are warned.
        logger.info("kiosk PIN attempt refused: too soon", extra={"retryAfter": seconds})
        return _retry_later(429, "too many attempts: wait before trying again", seconds)
    except kiosk.WrongPin as wrong:
        seconds = math.ceil(wrong.retry_after)
        logger.warning("wrong kiosk PIN", extra={"retryAfter": seconds})
        metrics.add_metric(name="KioskPinRejected", unit=MetricUnit.Count, value=1)
        return _retry_later(403, "wrong PIN", seconds)
    logger.info("kiosk unlocked")
    return json_response(200, {"unlocked": True})


def _retry_later(status_code: int, message: str, seconds: int):
    answer = json_response(status_code, {"message": message, "retryAfter": seconds})
    answer.headers["Retry-After"] = str(seconds)
    return answer


@inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
