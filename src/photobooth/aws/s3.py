"""``ObjectStore`` on Amazon S3."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.config import Config

from photobooth.ports import ObjectsNotDeleted

logger = logging.getLogger(__name__)

_DELETE_BATCH = 1000  # S3 DeleteObjects limit

PATH_STYLE = Config(signature_version="s3v4", s3={"addressing_style": "path"})
VIRTUAL_HOSTED = Config(signature_version="s3v4", s3={"addressing_style": "virtual"})


def regional_endpoint(region: str) -> str:
    """S3's regional endpoint. Presigned URLs must name it: a URL on the global host (``bucket.s3.amazonaws.com``,
    what botocore signs for ``addressing_style`` "auto" outside us-east-1) of a new bucket answers a 307 redirect
    for hours, and a browser's CORS preflight does not follow redirects."""
    return f"https://s3.{region}.amazonaws.com"


def regional_client(region: str | None) -> Any:
    """An S3 client whose URLs, presigned ones included, are ``https://{bucket}.s3.{region}.amazonaws.com/...``."""
    region = region or "us-east-1"
    return boto3.client("s3", region_name=region, endpoint_url=regional_endpoint(region), config=VIRTUAL_HOSTED)


class S3ObjectStore:
    """One bucket. ``presign_client`` may differ from ``client`` when the address a browser must use is not the one
    the functions use (the local server hands out URLs of its own port)."""

    def __init__(self, bucket: str, client: Any | None = None, presign_client: Any | None = None) -> None:
        self.bucket = bucket
        self._client = client
        self._presign_client = presign_client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = regional_client(boto3.session.Session().region_name)
        return self._client

    @property
    def presign_client(self) -> Any:
        return self._presign_client or self.client

    def get(self, key: str) -> bytes:
        body: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body

    def head_size(self, key: str) -> int:
        return int(self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"])

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def list_keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return keys

    def delete_keys(self, keys: Sequence[str]) -> None:
        """Every batch is tried; then the keys S3 listed under ``Errors`` are logged and raised together. A
        ``DeleteObjects`` answer is 200 even when every key in it was refused (a missing ``s3:DeleteObject`` grant
        shows only there): https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html"""
        failures: dict[str, str] = {}
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = [{"Key": key} for key in keys[start : start + _DELETE_BATCH]]
            answer = self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
            for error in answer.get("Errors", []):
                failures[error.get("Key", "?")] = error.get("Code", "?")
        if failures:
            logger.error(
                "S3 did not delete objects",
                extra={"not_deleted": len(failures), "codes": sorted(set(failures.values())), "keys": list(failures)},
            )
            raise ObjectsNotDeleted(failures)

    def presign_put(self, key: str, content_type: str, expires: int, *, content_length: int | None = None) -> str:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "ContentType": content_type}
        if content_length is not None:
            # Signed into the URL (SignedHeaders gets content-length): S3 refuses a body of any other size.
            params["ContentLength"] = content_length
        url: str = self.presign_client.generate_presigned_url("put_object", Params=params, ExpiresIn=expires)
        return url

    def presign_get(self, key: str, expires: int) -> str:
        url: str = self.presign_client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires
        )
        return url
