"""The serve console never shows presigned query strings or visitors' filenames."""

from __future__ import annotations

import logging
import sys

from photobooth.local.redaction import RedactingFilter, redact_path, redact_text

URL_PATH = (
    "/photobooth-local/photo/AbCdEfGh12/IMG%200001.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=key%2F20261130%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=deadbeef"
)


def test_a_path_loses_its_query_and_its_filename():
    assert redact_path(URL_PATH) == "/photobooth-local/photo/AbCdEfGh12/…"
    assert redact_path("/photobooth-local/generated/AbCdEfGh12/photo_x_1.jpeg") == (
        "/photobooth-local/generated/AbCdEfGh12/photo_x_1.jpeg"
    )


def test_werkzeugs_access_line_is_redacted():
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '127.0.0.1 - - [30/Nov/2026] "%s" %s %s',
        (f"PUT {URL_PATH} HTTP/1.1", 200, "-"),
        None,
    )

    RedactingFilter().filter(record)

    line = record.getMessage()
    assert line == '127.0.0.1 - - [30/Nov/2026] "PUT /photobooth-local/photo/AbCdEfGh12/… HTTP/1.1" 200 -'


def test_a_decoded_filename_with_spaces_in_free_text_is_redacted_to_the_end():
    text = "could not read photo/AbCdEfGh12/사진 1.jpg\nnext line"
    assert redact_text(text) == "could not read photo/AbCdEfGh12/…\nnext line"


def test_a_traceback_is_redacted_too():
    try:
        raise ValueError(f"URL can't contain control characters. '{URL_PATH}'")
    except ValueError:
        record = logging.LogRecord("werkzeug", logging.ERROR, __file__, 1, "Error on request", (), sys.exc_info())

    RedactingFilter().filter(record)

    assert record.exc_text is not None
    assert "X-Amz-Signature" not in record.exc_text and "IMG" not in record.exc_text
    assert "photo/AbCdEfGh12/…" in record.exc_text
