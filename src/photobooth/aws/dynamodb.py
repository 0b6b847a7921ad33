"""``StatusStore`` on Amazon DynamoDB: one item per request, keyed by ``requestId`` (docs/architecture.md)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import boto3
from botocore.exceptions import ClientError

from photobooth import kiosk, pacing
from photobooth.models import ERASED, ImageResult, RequestStatus
from photobooth.ports import RequestExists, RequestGone


def _plain(value: Any) -> Any:
    """DynamoDB hands numbers back as Decimal; the rest of the code wants int/float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_dynamo(v) for v in value]
    return value


def _is_condition_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class DynamoStatusStore:
    def __init__(self, table_name: str, resource: Any | None = None) -> None:
        self.table_name = table_name
        self._resource = resource
        self._table: Any | None = None

    @property
    def table(self) -> Any:
        if self._table is None:
            self._table = (self._resource or boto3.resource("dynamodb")).Table(self.table_name)
        return self._table

    def create_pending(self, item: dict) -> None:
        try:
            self.table.put_item(Item=_dynamo(item), ConditionExpression="attribute_not_exists(requestId)")
        except ClientError as error:
            if _is_condition_failure(error):
                raise RequestExists(item["requestId"]) from error
            raise

    def get(self, request_id: str) -> dict | None:
        item = self.table.get_item(Key={"requestId": request_id}, ConsistentRead=True).get("Item")
        if not item or item.get("status") == ERASED:
            return None
        return _plain(item)

    def was_erased(self, request_id: str) -> bool:
        item = self.table.get_item(
            Key={"requestId": request_id},
            ConsistentRead=True,
            ProjectionExpression="#status",
            ExpressionAttributeNames={"#status": "status"},
        ).get("Item")
        return bool(item) and item.get("status") == ERASED

    def record_image(self, request_id: str, result: ImageResult) -> None:
        entry = result.model_dump(mode="json", exclude_none=True)
        self._update(
            request_id,
            "SET images.#index = :image",
            names={"#index": str(result.index)},
            values={":image": _dynamo(entry)},
        )

    def update(self, request_id: str, fields: dict) -> None:
        expression, names, values = _set_expression(fields)
        self._update(request_id, expression, names=names, values=values)

    def fail_unless_terminal(self, request_id: str, fields: dict) -> bool:
        expression, names, values = _set_expression(fields)
        try:
            self.table.update_item(
                Key={"requestId": request_id},
                UpdateExpression=expression,
                ConditionExpression="#status IN (:pending, :processing)",
                ExpressionAttributeNames=names | {"#status": "status"},
                ExpressionAttributeValues=values
                | {":pending": RequestStatus.PENDING_UPLOAD.value, ":processing": RequestStatus.PROCESSING.value},
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def create_alias(self, alias_id: str, request_id: str, *, until: int) -> None:
        # One conditional put decides, so two pads racing for one id cannot both win. The refused item comes back
        # with the refusal (ReturnValuesOnConditionCheckFailure): a tombstone and a taken id get different answers.
        try:
            self.table.put_item(
                Item={"requestId": alias_id, "aliasOf": request_id, "expiresAt": until},
                ConditionExpression="attribute_not_exists(requestId) OR aliasOf = :owner",
                ExpressionAttributeValues={":owner": request_id},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            refused = error.response.get("Item") or {}  # the wire form: the resource does not convert errors
            if refused.get("status", {}).get("S") == ERASED:
                raise RequestGone(alias_id) from error
            raise RequestExists(alias_id) from error

    def erase(self, request_id: str, *, until: int) -> None:
        # A put replaces every attribute: the tombstone keeps nothing of the visitor (no filename, no keys).
        self.table.put_item(Item={"requestId": request_id, "status": ERASED, "expiresAt": until})

    def _update(self, request_id: str, expression: str, *, names: dict, values: dict) -> None:
        # An update must never bring back a request that was erased: not when the record is gone, and not when
        # only its tombstone is left.
        try:
            self.table.update_item(
                Key={"requestId": request_id},
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(requestId) AND #status <> :erased",
                ExpressionAttributeNames=names | {"#status": "status"},
                ExpressionAttributeValues=values | {":erased": ERASED},
            )
        except ClientError as error:
            if _is_condition_failure(error):
                raise RequestGone(request_id) from error
            raise

    # The wall (photobooth.wall): the sparse index names the opted-in requests, newest first; a consistent
    # BatchGetItem then reads each record from the table, so an erasure hides a picture at once even though a
    # global secondary index is only eventually consistent.
    _WALL_PAGE = 50
    _WALL_MAX_PAGES = 4

    def list_wall(self, limit: int) -> list[dict]:
        from photobooth.wall import WALL_INDEX, WALL_PARTITION, WALL_PARTITION_ATTRIBUTE, is_shown

        shown: list[dict] = []
        query: dict[str, Any] = {
            "IndexName": WALL_INDEX,
            "KeyConditionExpression": "#partition = :wall",
            "ExpressionAttributeNames": {"#partition": WALL_PARTITION_ATTRIBUTE},
            "ExpressionAttributeValues": {":wall": WALL_PARTITION},
            "ScanIndexForward": False,
            "Limit": self._WALL_PAGE,
        }
        for _ in range(self._WALL_MAX_PAGES):
            page = self.table.query(**query)
            ids = [item["requestId"] for item in page.get("Items", [])]
            records = self._consistent_batch(ids)
            shown.extend(records[i] for i in ids if i in records and is_shown(records[i]))
            if len(shown) >= limit or "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return shown[:limit]

    def _consistent_batch(self, request_ids: list[str]) -> dict[str, dict]:
        # The table resource's client converts Python values to DynamoDB's typed JSON and back.
        found: dict[str, dict] = {}
        for start in range(0, len(request_ids), 100):  # BatchGetItem reads at most 100 keys per call
            keys = [{"requestId": i} for i in request_ids[start : start + 100]]
            request: dict[str, Any] = {self.table_name: {"Keys": keys, "ConsistentRead": True}}
            while request:
                answer = self.table.meta.client.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self.table_name, []):
                    found[item["requestId"]] = _plain(item)
                request = answer.get("UnprocessedKeys") or {}
        return found


def _set_expression(fields: dict) -> tuple[str, dict, dict]:
    present = {k: v for k, v in fields.items() if v is not None}
    names = {f"#f{i}": name for i, name in enumerate(present)}
    values = {f":v{i}": _dynamo(value) for i, value in enumerate(present.values())}
    return "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(present))), names, values


class DynamoPinAttempts:
    """:class:`photobooth.kiosk.PinAttempts` in the status table, so every Lambda sandbox of the booth shares one
    count. Its key cannot be a request's (``#`` is outside the requestId pattern), and its TTL clears it a day after
    the last attempt."""

    KEY = kiosk.ATTEMPTS_KEY
    _KEEP_SECONDS = 24 * 3600

    def __init__(self, table_name: str, resource: Any | None = None) -> None:
        self._store = DynamoStatusStore(table_name, resource)

    def claim_turn(self, now: float) -> float:
        try:
            self._store.table.update_item(
                Key={"requestId": self.KEY},
                UpdateExpression="SET nextTurn = :next, expiresAt = :expires",
                ConditionExpression="attribute_not_exists(nextTurn) OR nextTurn <= :now",
                ExpressionAttributeValues={
                    ":now": _dynamo(now),
                    ":next": _dynamo(now + kiosk.MIN_SECONDS_BETWEEN_ATTEMPTS),
                    ":expires": int(now) + self._KEEP_SECONDS,
                },
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            item = self._store.table.get_item(Key={"requestId": self.KEY}, ConsistentRead=True).get("Item") or {}
            return max(float(item.get("nextTurn", now)) - now, 0.001)
        return 0.0

    def failed(self, now: float) -> float:
        counted = self._store.table.update_item(
            Key={"requestId": self.KEY},
            UpdateExpression="ADD failures :one",
            ExpressionAttributeValues={":one": 1},
            ReturnValues="UPDATED_NEW",
        )
        wait = kiosk.wait_after(int(counted["Attributes"]["failures"]))
        self._store.table.update_item(
            Key={"requestId": self.KEY},
            UpdateExpression="SET nextTurn = :next",
            ExpressionAttributeValues={":next": _dynamo(now + wait)},
        )
        return wait

    def succeeded(self) -> None:
        self._store.table.update_item(Key={"requestId": self.KEY}, UpdateExpression="REMOVE failures")


class DynamoPace:
    """:class:`photobooth.pacing.PaceStore` in the status table: one item whose key no request can have, shared by
    every execution. Bookings replace the queue under a ``version`` condition; learning sets the two times.
    Only UpdateItem and GetItem, each limited to this key in infra (dynamodb:LeadingKeys)."""

    KEY = pacing.PACE_KEY

    def __init__(
        self, table_name: str, resource: Any | None = None, *, default_pre_seconds: float = pacing.DEFAULT_PRE_SECONDS
    ) -> None:
        self._store = DynamoStatusStore(table_name, resource)
        self._default_pre_seconds = default_pre_seconds  # until the booth has learned its own

    def read(self) -> pacing.PaceRecord:
        item = _plain(self._store.table.get_item(Key={"requestId": self.KEY}, ConsistentRead=True).get("Item") or {})
        if not item:
            return pacing.PaceRecord(pre_seconds=self._default_pre_seconds)
        return pacing.PaceRecord(
            next_slot=float(item.get("nextSlot", 0.0)),
            bookings={
                request_id: pacing.Booking(first=float(slots["first"]), last=float(slots["last"]))
                for request_id, slots in (item.get("bookings") or {}).items()
            },
            pre_seconds=float(item.get("preSeconds", self._default_pre_seconds)),
            tail_seconds=float(item.get("tailSeconds", pacing.DEFAULT_TAIL_SECONDS)),
            learned="tailSeconds" in item,
            version=int(item["version"]) if "version" in item else None,
            announced={
                name.removeprefix(self._ANNOUNCED): pacing.Announced(calls=int(value["calls"]), at=float(value["at"]))
                for name, value in item.items()
                if name.startswith(self._ANNOUNCED)
            },
        )

    # An announced upload is an attribute of its own, so announcing is one SET that no booking's condition sees.
    _ANNOUNCED = "upload:"

    def write(self, record: pacing.PaceRecord, *, read_version: int | None, forget: tuple[str, ...] = ()) -> None:
        condition = "attribute_not_exists(version)" if read_version is None else "version = :read"
        values = {
            ":next": _dynamo(record.next_slot),
            ":bookings": {
                rid: {"first": _dynamo(b.first), "last": _dynamo(b.last)} for rid, b in record.bookings.items()
            },
            ":version": record.version,
        }
        if read_version is not None:
            values[":read"] = read_version
        names = {f"#forget{i}": self._ANNOUNCED + request_id for i, request_id in enumerate(forget)}
        expression = "SET nextSlot = :next, bookings = :bookings, version = :version"
        if names:
            expression += " REMOVE " + ", ".join(names)
        try:
            self._store.table.update_item(
                Key={"requestId": self.KEY},
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
                **({"ExpressionAttributeNames": names} if names else {}),
            )
        except ClientError as error:
            if _is_condition_failure(error):
                raise pacing.BookingConflict(self.KEY) from error
            raise

    def announce(self, request_id: str, announced: pacing.Announced) -> None:
        self._store.table.update_item(
            Key={"requestId": self.KEY},
            UpdateExpression="SET #upload = :announced",
            ExpressionAttributeNames={"#upload": self._ANNOUNCED + request_id},
            ExpressionAttributeValues={":announced": {"calls": announced.calls, "at": _dynamo(announced.at)}},
        )

    def learn(self, *, pre_seconds: float, tail_seconds: float) -> None:
        self._store.table.update_item(
            Key={"requestId": self.KEY},
            UpdateExpression="SET preSeconds = :pre, tailSeconds = :tail",
            ExpressionAttributeValues={":pre": _dynamo(pre_seconds), ":tail": _dynamo(tail_seconds)},
        )
