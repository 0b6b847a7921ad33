"""Powertools' logger, tracer and metrics, shared by every handler (one service, one namespace).

Creating them builds no AWS client; the tracer switches itself off outside Lambda. Domain modules log with
``logging.getLogger(__name__)``: their records reach this logger's JSON output because it owns the ``photobooth``
logger hierarchy.
"""

import functools
import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.lambda_context import build_lambda_context_model
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from photobooth import naming

SERVICE = "photobooth"
NAMESPACE = "Photobooth"


class _ForgetfulEMFProvider(AmazonCloudWatchEMFProvider):
    """Powertools keeps every added value when ``POWERTOOLS_METRICS_DISABLED`` is set (``photobooth serve``, tests):
    it clears only after printing. A long-running local server would then hold each request's metrics for ever, and
    one request's values would leak into the next flush; a flush (``log_metrics`` calls it) forgets them anyway."""

    def flush_metrics(self, raise_on_empty_metrics: bool = False) -> None:
        super().flush_metrics(raise_on_empty_metrics=raise_on_empty_metrics)
        self.clear_metrics()


logger = Logger(service=SERVICE)
# Every AWS call goes through botocore. Left to itself the tracer imports and patches each library the X-Ray SDK
# knows that happens to be installed (sqlite3, requests, httpx, ...), on every cold start.
tracer = Tracer(service=SERVICE, patch_modules=("botocore",))
metrics = Metrics(provider=_ForgetfulEMFProvider(namespace=NAMESPACE, service=SERVICE))


_INVOCATION_KEYS = ("cold_start", "function_name", "function_memory_size", "function_arn", "function_request_id")
_cold_start = True


def inject_lambda_context(handler: Callable[[dict, Any], Any]) -> Callable[[dict, Any], Any]:
    """Powertools' ``logger.inject_lambda_context``, with the function's name, ARN and invocation id as keys of the
    calling thread. Powertools keeps them process-wide: on ``photobooth serve`` the API functions run in threads of
    one process, and a ``POST /photo`` waiting while a pad polled ``GET /photo`` logged
    ``function_name: photobooth-status`` (issue 18). On Lambda, one thread: the same lines as Powertools'."""

    @functools.wraps(handler)
    def decorated(event: dict, context: Any) -> Any:
        global _cold_start
        # Provisioned concurrency initialises ahead of the first call, which is then no cold start (as Powertools).
        cold = _cold_start and os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != "provisioned-concurrency"
        _cold_start = False
        logger.thread_safe_clear_keys()  # a thread handles one invocation after another
        logger.thread_safe_append_keys(cold_start=cold, **build_lambda_context_model(context).__dict__)
        return handler(event, context)

    return decorated


def label_log_lines(**keys: object) -> None:
    """Name what this invocation works on (requestId, theme, ...) in each of its log lines. Powertools'
    ``append_keys`` is process-wide: on ``photobooth serve`` the handlers run in threads of one process and would
    label each other's lines. Thread-safe keys belong to the calling thread (on Lambda, one thread: no difference);
    the last invocation's labels are dropped first, the function's own keys kept."""
    invocation = {k: v for k, v in logger.thread_safe_get_current_keys().items() if k in _INVOCATION_KEYS}
    logger.thread_safe_clear_keys()
    if isinstance(keys.get("requestId"), str):  # what the visitor's screen shows staff (naming.short_code)
        keys.setdefault("requestCode", naming.short_code(str(keys["requestId"])))
    logger.thread_safe_append_keys(**invocation, **keys)


def publish_outcome_metrics(outcome: dict, *, event_name: str) -> None:
    """A finished request's metrics for the dashboard and the cost alarm (infra/photobooth_infra/dashboard.py).

    ``CostPerRequest`` (USD; CloudWatch has no currency unit) goes out twice: with the service dimension only, which
    the budget alarm averages over every event, and with an ``event`` dimension whose Sum is the event's total.
    An erased request's outcome has no cost and publishes nothing.
    """
    cost = outcome.get("cost")
    if cost is None:
        return
    metrics.add_metric(name="CostPerRequest", unit=MetricUnit.NoUnit, value=cost["usd"])
    metrics.add_metric(name="TimeTaken", unit=MetricUnit.Seconds, value=outcome["timeTaken"])
    _publish_with_dimension("CostPerRequest", MetricUnit.NoUnit, cost["usd"], "event", event_name)
    if outcome.get("errorCode"):
        _publish_with_dimension("RequestsFailedByCode", MetricUnit.Count, 1, "errorCode", outcome["errorCode"])
    for model_id, count in (outcome.get("imagesByModel") or {}).items():
        _publish_with_dimension("ImagesByModel", MetricUnit.Count, count, "model", model_id)


def _publish_with_dimension(name: str, unit: MetricUnit, value: float, dimension: str, dimension_value: str) -> None:
    """A metric with one more dimension than the shared ``metrics`` object's (its dimensions apply to all its
    metrics). Flushed at once, and like the shared object silent under ``POWERTOOLS_METRICS_DISABLED``."""
    extra = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
    extra.add_dimension(name=dimension, value=dimension_value)
    extra.add_metric(name=name, unit=unit, value=value)
    extra.flush_metrics()
