"""Powertools' logger, tracer and metrics, shared by every handler (one service, one namespace).

Creating them builds no AWS client; the tracer switches itself off outside Lambda. Domain modules log with
``logging.getLogger(__name__)``: their records reach this logger's JSON output because it owns the ``photobooth``
logger hierarchy.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "photobooth"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace="Photobooth", service=SERVICE)
