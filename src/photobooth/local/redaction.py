"""Keeps presigned URL signatures and visitors' filenames out of ``photobooth serve``'s console.

A presigned URL's query string is a bearer credential for a visitor's photo until it expires, and the filename a
phone gives a photo can name a person. Log lines show paths without their query string and photo keys as
``photo/{requestId}/…``; the request id is enough to follow a request.
"""

from __future__ import annotations

import logging
import re

_REQUEST_LINE = re.compile(r'"([A-Z]+) (\S+) (HTTP/[0-9.]+)"')
_QUERY = re.compile(r"(/[^\s\"'?]*)\?[^\s\"']*")
_SIGNATURE = re.compile(r"(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s\"']+", re.IGNORECASE)
# A photo key's last part is the visitor's filename: it may hold spaces once decoded, so it runs to the end of
# the quoted string or line.
_PHOTO_FILENAME = re.compile(r"(photo/[A-Za-z0-9_-]{1,64}/)(?!…)[^\n\"']+")


def redact_path(path: str) -> str:
    """``/bucket/photo/{id}/IMG 0001.jpg?X-Amz-…`` → ``/bucket/photo/{id}/…``."""
    without_query = path.split("?", 1)[0]
    return _PHOTO_FILENAME.sub(r"\1…", without_query)


def redact_text(text: str) -> str:
    text = _REQUEST_LINE.sub(lambda m: f'"{m.group(1)} {redact_path(m.group(2))} {m.group(3)}"', text)
    text = _SIGNATURE.sub(r"\1…", text)
    text = _QUERY.sub(r"\1", text)
    return _PHOTO_FILENAME.sub(r"\1…", text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback) with :func:`redact_text` before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_text(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True


def install_log_redaction() -> None:
    """Attach the filter to the loggers that print requests (werkzeug's access and error lines, ours) and to every
    handler already configured, so lines that propagate from other loggers are covered too."""
    redacting = RedactingFilter()
    loggers = [logging.getLogger(name) for name in ("werkzeug", "photobooth", "photobooth.local")]
    for logger in [*loggers, logging.getLogger()]:
        if not any(isinstance(f, RedactingFilter) for f in logger.filters) and logger.name != "root":
            logger.addFilter(redacting)
        for handler in logger.handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(redacting)
