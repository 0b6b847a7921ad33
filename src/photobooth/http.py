"""What the two API functions share: the Powertools resolver and the one place where errors become status codes."""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from botocore.exceptions import ClientError

from photobooth.api import BadRequest, Conflict, Forbidden, NotFound, Unauthorized


def json_response(status_code: int, body: object | None = None) -> Response:
    return Response(
        status_code=status_code,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body) if body is not None else "",
    )


class _EventPerThreadResolver(APIGatewayHttpResolver):
    """Powertools keeps the event being handled in a class attribute, ``BaseRouter.current_event``, shared by every
    resolver and every thread, and the matched route's arguments in the resolver's ``context`` dict, cleared after
    each call. On Lambda a sandbox handles one event at a time, so that is safe; ``photobooth serve`` runs the API
    functions in threads of one process, where two pads calling at once could read each other's body or path, or
    lose their route arguments (tests/integration/test_concurrent_api.py). Here each thread has its own."""

    _handling = threading.local()

    @property  # type: ignore[override,misc]
    def current_event(self) -> APIGatewayProxyEventV2:  # type: ignore[override]
        return self._handling.event  # type: ignore[no-any-return]

    @property  # type: ignore[override,misc]
    def lambda_context(self) -> Any:  # type: ignore[override]
        return self._handling.lambda_context

    @property
    def context(self) -> dict:
        if getattr(self._handling, "context", None) is None:
            self._handling.context = {}
        return self._handling.context  # type: ignore[no-any-return]

    @context.setter
    def context(self, value: dict) -> None:
        self._handling.context = value

    @staticmethod
    def _compile_regex(rule: str, base_regex: str = r"^{}\Z") -> re.Pattern:
        # Powertools anchors routes with "$", which also matches before a final newline: "/photo/{id}%0A" reached
        # request {id}. "\Z" ends only at the end of the path.
        return APIGatewayHttpResolver._compile_regex(rule, base_regex)

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        self._handling.event = self._to_proxy_event(dict(event))
        self._handling.lambda_context = context
        try:
            return super().resolve(event, context)
        finally:
            self._handling.event = self._handling.lambda_context = None


def create_resolver(logger: Logger) -> APIGatewayHttpResolver:
    app = _EventPerThreadResolver()

    @app.exception_handler(BadRequest)
    def _bad_request(error: BadRequest) -> Response:
        return json_response(400, {"message": str(error)})

    @app.exception_handler(NotFound)
    def _not_found(error: NotFound) -> Response:
        return json_response(404, {"message": str(error)})

    @app.exception_handler(Conflict)
    def _conflict(error: Conflict) -> Response:
        return json_response(409, {"message": str(error)})

    @app.exception_handler(Unauthorized)
    def _unauthorized(error: Unauthorized) -> Response:
        return json_response(401, {"message": str(error)})

    @app.exception_handler(Forbidden)
    def _forbidden(error: Forbidden) -> Response:
        return json_response(403, {"message": str(error)})

    @app.exception_handler(ClientError)
    def _storage_error(error: ClientError) -> Response:
        # The local server's data folder could not take a write (disk full); its moto undid the write, so a retry
        # later is safe. Every other AWS error stays a 500.
        if error.response.get("Error", {}).get("Code") == "DataFolderUnwritable":
            logger.error("the local data folder refused a write")
            return json_response(503, {"message": "the booth cannot save right now (is its disk full?); try again"})
        logger.exception("unhandled error in API handler")
        return json_response(500, {"message": "internal error"})

    @app.not_found
    def _no_route(_: Exception) -> Response:
        return json_response(404, {"message": "no such route"})

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        logger.exception("unhandled error in API handler")
        return json_response(500, {"message": "internal error"})

    return app


def request_body(app: APIGatewayHttpResolver) -> dict:
    """The JSON body as bytes first: Powertools' ``decoded_body`` decodes base64 bodies as UTF-8 and would raise
    on anything else, which must be the client's 400, not our 500."""
    from photobooth.api import BadRequest, parse_json

    event = app.current_event
    raw: str | bytes | None = event.body
    if raw is not None and event.is_base64_encoded:
        try:
            raw = base64.b64decode(raw, validate=True)
        except ValueError as error:
            raise BadRequest("the request body is not valid base64") from error
    return parse_json(raw)
