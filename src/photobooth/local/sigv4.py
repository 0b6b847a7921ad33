"""Checks AWS Signature Version 4 on requests that reach the local server, with the local server's own secret.

moto checks no signature at all (FACTS.md), so the local S3 endpoint and moto's port would serve anyone on the
machine. These functions recompute the signature the way AWS does and compare it in constant time:

- presigned URLs (the query parameters ``X-Amz-*``), as described in "Authenticating Requests: Using Query
  Parameters (AWS Signature Version 4)",
  https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html ;
- the ``Authorization`` header boto3 sends, as described in "Signature Calculations for the Authorization Header",
  https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-header-based-auth.html and, for services other than S3,
  "Create a signed AWS API request", https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html .

Everything here is plain functions of the request's parts (method, raw path, raw query, headers), so the proxy,
moto's middleware and the unit tests share one implementation.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote

from botocore.utils import normalize_url_path

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
# S3 refuses an Authorization header whose X-Amz-Date is more than 15 minutes off its own clock.
MAX_CLOCK_SKEW = timedelta(minutes=15)
# A presigned URL may be valid for at most seven days (the query-parameter doc's X-Amz-Expires row).
MAX_EXPIRES_SECONDS = 7 * 24 * 3600
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


class SignatureRefused(Exception):
    """The request is not signed by our key, or no longer valid; ``str()`` says why, without any secret in it."""


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str


@dataclass(frozen=True)
class Signed:
    """What a valid signature vouches for."""

    service: str
    region: str


def query_pairs(raw_query: str) -> list[tuple[str, str]]:
    """``a=1&b`` → ``[("a", "1"), ("b", "")]``, each part percent-decoded once (``+`` stays a plus, as in AWS)."""
    pairs = []
    for part in raw_query.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((unquote(name), unquote(value)))
    return pairs


def is_presigned(raw_query: str) -> bool:
    return any(name == "X-Amz-Signature" for name, _ in query_pairs(raw_query))


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def canonical_query(pairs: list[tuple[str, str]]) -> str:
    """Names and values URI-encoded (RFC 3986 unreserved characters kept), sorted by name then value."""
    return "&".join(f"{name}={value}" for name, value in sorted((_encode(n), _encode(v)) for n, v in pairs))


def canonical_uri(raw_path: str, service: str) -> str:
    """S3 signs the path as it is sent, each segment encoded once; other services normalise the sent path and
    encode it a second time (botocore's ``S3SigV4Auth`` and ``SigV4Auth``). For S3 we decode and re-encode, so that
    ``%41`` and ``A`` name the same key, as they do on AWS."""
    if service == "s3":
        return quote(unquote(raw_path), safe="/~")
    return quote(normalize_url_path(raw_path), safe="/~")


def canonical_headers(headers: Mapping[str, str], signed: list[str]) -> str:
    lowered = {name.lower(): value for name, value in headers.items()}
    lines = []
    for name in signed:
        if name not in lowered:
            raise SignatureRefused(f"signed header {name} is missing")
        lines.append(f"{name}:{' '.join(str(lowered[name]).split())}\n")
    return "".join(lines)


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    key = f"AWS4{secret_key}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def signature(
    credentials: Credentials,
    *,
    method: str,
    raw_path: str,
    query: list[tuple[str, str]],
    headers: Mapping[str, str],
    signed_headers: list[str],
    payload_hash: str,
    timestamp: str,
    scope: tuple[str, str, str],
) -> str:
    """The hex signature AWS computes for these parts; ``scope`` is ``(date, region, service)``."""
    date, region, service = scope
    canonical_request = "\n".join(
        [
            method.upper(),
            canonical_uri(raw_path, service),
            canonical_query(query),
            canonical_headers(headers, signed_headers),
            ";".join(signed_headers),
            payload_hash,
        ]
    )
    string_to_sign = "\n".join(
        [
            ALGORITHM,
            timestamp,
            f"{date}/{region}/{service}/aws4_request",
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    key = signing_key(credentials.secret_key, date, region, service)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def _parse_time(value: str) -> datetime:
    try:
        return datetime.strptime(value, _DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise SignatureRefused("X-Amz-Date is not a date") from None


def _parse_scope(credential: str, credentials: Credentials, timestamp: str) -> tuple[str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise SignatureRefused("malformed credential scope")
    access_key, date, region, service, _ = parts
    if not hmac.compare_digest(access_key, credentials.access_key):
        raise SignatureRefused("unknown access key")
    if date != timestamp[:8]:
        raise SignatureRefused("credential date does not match X-Amz-Date")
    return date, region, service


def _signed_header_names(value: str) -> list[str]:
    names = [name for name in value.split(";") if name]
    if "host" not in names:
        raise SignatureRefused("host is not a signed header")
    if names != sorted(names) or any(name != name.lower() for name in names):
        raise SignatureRefused("signed headers are not in canonical order")
    return names


def verify_presigned(
    credentials: Credentials,
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    now: datetime | None = None,
) -> Signed:
    """Accept a presigned URL only if our key signed exactly this method, path, query and signed headers, and it
    has not expired. Raises :class:`SignatureRefused` otherwise."""
    pairs = query_pairs(raw_query)
    params: dict[str, str] = {}
    for name, value in pairs:
        if name.startswith("X-Amz-") and name in params:
            raise SignatureRefused(f"{name} appears twice")
        params[name] = value
    missing = [
        name
        for name in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders")
        if name not in params
    ]
    if "X-Amz-Signature" not in params or missing:
        raise SignatureRefused("not a presigned URL")
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise SignatureRefused("unsupported signing algorithm")
    timestamp = params["X-Amz-Date"]
    signed_at = _parse_time(timestamp)
    try:
        expires = int(params["X-Amz-Expires"])
    except ValueError:
        raise SignatureRefused("X-Amz-Expires is not a number") from None
    if not 1 <= expires <= MAX_EXPIRES_SECONDS:
        raise SignatureRefused("X-Amz-Expires is out of range")
    now = now or datetime.now(UTC)
    if now > signed_at + timedelta(seconds=expires):
        raise SignatureRefused("the URL has expired")
    if signed_at - now > MAX_CLOCK_SKEW:
        raise SignatureRefused("the URL is dated in the future")
    scope = _parse_scope(params["X-Amz-Credential"], credentials, timestamp)
    expected = signature(
        credentials,
        method=method,
        raw_path=raw_path,
        query=[(name, value) for name, value in pairs if name != "X-Amz-Signature"],
        headers=headers,
        signed_headers=_signed_header_names(params["X-Amz-SignedHeaders"]),
        payload_hash=UNSIGNED_PAYLOAD,
        timestamp=timestamp,
        scope=scope,
    )
    if not hmac.compare_digest(expected, params["X-Amz-Signature"]):
        raise SignatureRefused("signature does not match")
    return Signed(service=scope[2], region=scope[1])


def parse_authorization(value: str) -> dict[str, str]:
    """``AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`` → its three fields."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise SignatureRefused("unsupported signing algorithm")
    fields = {}
    for part in rest.split(","):
        name, _, field_value = part.strip().partition("=")
        fields[name] = field_value
    if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        raise SignatureRefused("malformed Authorization header")
    return fields


def verify_authorization_header(
    credentials: Credentials,
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body_sha256: str,
    now: datetime | None = None,
) -> Signed:
    """Accept a request signed in its ``Authorization`` header by our key within the allowed clock skew.
    ``body_sha256`` is the hex SHA-256 of the body; S3 requests sign the ``X-Amz-Content-SHA256`` header instead."""
    lowered = {name.lower(): value for name, value in headers.items()}
    if "authorization" not in lowered:
        raise SignatureRefused("the request is not signed")
    fields = parse_authorization(lowered["authorization"])
    timestamp = lowered.get("x-amz-date", "")
    signed_at = _parse_time(timestamp)
    now = now or datetime.now(UTC)
    if abs(now - signed_at) > MAX_CLOCK_SKEW:
        raise SignatureRefused("X-Amz-Date is too far from now")
    scope = _parse_scope(fields["Credential"], credentials, timestamp)
    payload_hash = lowered.get("x-amz-content-sha256", body_sha256)
    expected = signature(
        credentials,
        method=method,
        raw_path=raw_path,
        query=query_pairs(raw_query),
        headers=lowered,
        signed_headers=_signed_header_names(fields["SignedHeaders"]),
        payload_hash=payload_hash,
        timestamp=timestamp,
        scope=scope,
    )
    if not hmac.compare_digest(expected, fields["Signature"]):
        raise SignatureRefused("signature does not match")
    return Signed(service=scope[2], region=scope[1])
