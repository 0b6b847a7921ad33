"""No request stays PROCESSING on ``photobooth serve`` (CONTRACT.md), whatever happens to the process or a run.

On AWS, EventBridge tells the ``execution_ended`` function about a run that died. The local server has no such rule,
and a process that stops takes its running executions with it. So this module looks after a request at three moments:

- **At start**, every request the last stop interrupted (PROCESSING, or PENDING_UPLOAD with its photo already
  uploaded) is resumed once: set back to PENDING_UPLOAD and its workflow started again from the stored photo, with
  the original upload time (``time_taken`` then counts the outage). A request that was resumed before, or whose photo
  is gone, ends FAILED/INTERNAL instead: a photo that crashes the server must not crash it at every start.
- **While running**, an execution that ends FAILED, TIMED_OUT or ABORTED without recording its end (a step that kept
  failing, ``States.Runtime``) fails its request at once (the engine's end-of-run hook); a sweep every few seconds
  catches the rest: a PROCESSING request whose execution is no longer running (or has run longer than any step
  may), and an upload that landed but whose workflow never claimed it (started once more, then failed).
- **At stop** (Ctrl+C, SIGTERM), work in flight gets a bounded time to finish; the rest is resumed at the next start.

Why resume rather than fail everything: the visitor is usually still at the booth, and a restart takes seconds.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from photobooth import api, lifecycle, naming
from photobooth.aws.dynamodb import DynamoStatusStore
from photobooth.local.engine import REGION
from photobooth.local.runs import forget_finished_work, on_execution_ended
from photobooth.models import RequestStatus
from photobooth.naming import PHOTO_PREFIX

log = logging.getLogger("photobooth.local")

PENDING = RequestStatus.PENDING_UPLOAD.value
PROCESSING = RequestStatus.PROCESSING.value
MAX_RESUMES = 1


@dataclass(frozen=True)
class StartReport:
    resumed: list[str]
    failed: list[str]


@dataclass(frozen=True)
class DrainReport:
    in_flight: list[str]
    left: list[str]

    def summary(self) -> str:
        if not self.in_flight:
            return "stopped: no request was in flight"
        finished = len(self.in_flight) - len(self.left)
        line = f"stopped: {finished} of {len(self.in_flight)} request(s) in flight finished"
        if self.left:
            line += f"; {len(self.left)} left PROCESSING will be resumed at the next start with the same --data"
        return line


@dataclass
class Recovery:
    table: str
    bucket: str
    state_machine_arn: str
    retention_days: int
    sweep_every: float = 5.0
    # A step on Lambda is cut off at its timeout; the embedded engine has none, so a run this old is stopped.
    longest_run: float = 900.0
    pending_grace: float = 15.0  # seconds an uploaded photo may wait for its workflow's claim
    _nudged: dict[str, float] = field(default_factory=dict)
    _settled: set[str] = field(default_factory=set)  # photos whose request has ended: not looked at again
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _unsubscribe: Callable[[], None] | None = None
    _clients: dict[str, Any] = field(default_factory=dict)

    # -- at start -------------------------------------------------------------------------------------------

    def resume_interrupted(self) -> StartReport:
        resumed: list[str] = []
        failed: list[str] = []
        photos = self._photos()
        for record in self._records_with_status(PENDING, PROCESSING):
            request_id = record["requestId"]
            photo = photos.get(str(record.get("originalKey")))
            if record["status"] == PENDING and photo is None:
                continue  # the visitor never uploaded: nothing was in flight
            if photo is not None and int(record.get("resumeCount", 0)) < MAX_RESUMES:
                if self._resume(record, photo[0]):
                    resumed.append(request_id)
                continue
            if self._fail(request_id):
                failed.append(request_id)
        if resumed or failed:
            _tell_operator(
                f"resumed {len(resumed)} request(s) that the last stop interrupted; "
                f"{len(failed)} could not be resumed and ended FAILED"
            )
        return StartReport(resumed, failed)

    def _resume(self, record: dict, size: int) -> bool:
        request_id = record["requestId"]
        try:
            self._table().update_item(
                Key={"requestId": request_id},
                UpdateExpression="SET #status = :pending, resumeCount = :count REMOVE executionArn",
                ConditionExpression="#status IN (:pending, :processing)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":pending": PENDING,
                    ":processing": PROCESSING,
                    ":count": int(record.get("resumeCount", 0)) + 1,
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False  # finished or erased meanwhile
            raise
        self._start_workflow(record["originalKey"], size, _upload_time(record))
        return True

    # -- while running --------------------------------------------------------------------------------------

    def watch(self) -> None:
        """Listen for executions that end without a result, and sweep in a background thread."""
        self._unsubscribe = on_execution_ended(self.execution_ended)
        self._stop.clear()
        self._thread = threading.Thread(target=self._sweep_forever, name="photobooth-recovery", daemon=True)
        self._thread.start()

    def stop_watching(self) -> None:
        self._stop.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def execution_ended(self, detail: dict) -> bool:
        """An execution ended FAILED, TIMED_OUT or ABORTED; ``True`` when that ended its request FAILED/INTERNAL."""
        request_id = lifecycle.request_id_of_execution(detail)
        if request_id is None:
            return False
        record = self._status().get(request_id)
        if record is None:
            return False
        owner = record.get("executionArn")
        if record.get("status") == PROCESSING and owner not in (None, detail.get("executionArn")):
            return False  # a repeated event's run failed; the run that claimed the request is still at work
        if not self._fail(request_id):
            return False
        _tell_operator(f"{request_id}: its workflow ended {detail.get('status')} without recording a result")
        return True

    def sweep(self) -> list[str]:
        """The safety net behind the hook. Returns the requests it failed or started again."""
        acted: list[str] = []
        for record in self._records_with_status(PROCESSING):
            request_id = record["requestId"]
            arn = str(record.get("executionArn") or "")
            running = bool(arn) and self._is_running(arn)
            if running and _age_seconds(_upload_time(record)) < self.longest_run:
                continue
            if running:
                # Stopping the run wakes the end-of-run hook on the run's thread, which may fail the request
                # before the line below does; either way this sweep ended it.
                self._abort(arn)
            if self._fail(request_id):
                _tell_operator(f"{request_id}: {'its workflow hung' if running else 'no workflow is running'}")
                acted.append(request_id)
            elif running and self._ended_failed(request_id):
                acted.append(request_id)
        acted.extend(self._start_or_fail_unclaimed_uploads())
        return acted

    def _start_or_fail_unclaimed_uploads(self) -> list[str]:
        """Uploads whose workflow never claimed them, found from the photos, not from the records: a record whose
        photo never came (another web page made thousands once) costs the sweep nothing and expires on its own.
        A photo whose request has ended is not looked at again."""
        acted: list[str] = []
        now = time.monotonic()
        photos = self._photos()
        self._settled &= photos.keys()  # erased or expired photos are forgotten
        for key, (size, uploaded) in photos.items():
            if key in self._settled or _age_seconds(uploaded) < self.pending_grace:
                continue
            try:
                request_id = naming.request_id_from_photo_key(key)
            except naming.InvalidName:
                self._settled.add(key)
                continue
            record = self._status().get(request_id)
            if record is None or record.get("originalKey") != key:
                continue  # a direct upload's record appears with its workflow's claim
            if record.get("status") != PENDING:
                if record.get("status") != PROCESSING:
                    self._settled.add(key)  # ended or erased: never pending again
                continue
            nudged = self._nudged.get(request_id)
            if nudged is None:
                self._nudged[request_id] = now
                self._start_workflow(key, size, _upload_time(record))
                acted.append(request_id)
            elif now - nudged > self.pending_grace and self._fail(request_id):
                _tell_operator(f"{request_id}: its photo was uploaded but its workflow never started")
                acted.append(request_id)
        return acted

    def _sweep_forever(self) -> None:
        while not self._stop.wait(self.sweep_every):
            try:
                self.sweep()
                forget_finished_work()
            except Exception:
                log.exception("could not check for requests left PROCESSING; trying again")

    # -- at stop --------------------------------------------------------------------------------------------

    def drain(self, timeout: float) -> DrainReport:
        """Wait up to ``timeout`` seconds for every PROCESSING request to finish. A second Ctrl+C stops waiting."""
        in_flight = self._processing()
        left = in_flight
        deadline = time.monotonic() + timeout
        try:
            while left and time.monotonic() < deadline:
                time.sleep(0.25)
                left = self._processing()
        except KeyboardInterrupt:
            left = self._processing()
        return DrainReport(in_flight, [request_id for request_id in left if request_id in in_flight])

    # -- helpers --------------------------------------------------------------------------------------------

    def _fail(self, request_id: str) -> bool:
        return lifecycle.fail_unfinished(request_id, status=self._status(), retention_days=self.retention_days)

    def _ended_failed(self, request_id: str) -> bool:
        record = self._status().get(request_id)
        return record is not None and record.get("status") == RequestStatus.FAILED.value

    def _processing(self) -> list[str]:
        return sorted(r["requestId"] for r in self._records_with_status(PROCESSING))

    def _records_with_status(self, *statuses: str) -> list[dict]:
        records: list[dict] = []
        scan: dict[str, Any] = {"FilterExpression": Attr("status").is_in(list(statuses)), "ConsistentRead": True}
        while True:
            page = self._table().scan(**scan)
            records.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return records
            scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _photos(self) -> dict[str, tuple[int, datetime]]:
        """Every uploaded photo's key, with its size and upload time: one listing, however many records wait for a
        photo that never comes."""
        photos: dict[str, tuple[int, datetime]] = {}
        pages = self._client("s3").get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=PHOTO_PREFIX)
        for page in pages:
            for item in page.get("Contents", []):
                photos[item["Key"]] = (int(item["Size"]), item["LastModified"])
        return photos

    def _is_running(self, execution_arn: str) -> bool:
        try:
            described = self._client("stepfunctions").describe_execution(executionArn=execution_arn)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ExecutionDoesNotExist":
                return False  # it ran in a process that has stopped
            raise
        return described["status"] == "RUNNING"

    def _abort(self, execution_arn: str) -> None:
        try:
            self._client("stepfunctions").stop_execution(
                executionArn=execution_arn, error="Photobooth.Hung", cause="no result within the longest run"
            )
        except ClientError:
            log.warning("could not stop the hung execution %s", execution_arn)

    def _start_workflow(self, key: str, size: int, uploaded: datetime) -> None:
        event = api.s3_event(self.bucket, key, size, uploaded)
        # The workflow's claim makes a second start for one upload harmless (CONTRACT.md: one set of results).
        self._client("stepfunctions").start_execution(
            stateMachineArn=self.state_machine_arn, name=event["id"], input=json.dumps(event)
        )

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=REGION)  # type: ignore[call-overload]
        return self._clients[service]

    def _table(self) -> Any:
        if "table" not in self._clients:
            self._clients["table"] = boto3.resource("dynamodb", region_name=REGION).Table(self.table)
        return self._clients["table"]

    def _status(self) -> DynamoStatusStore:
        if "status" not in self._clients:
            self._clients["status"] = DynamoStatusStore(self.table, boto3.resource("dynamodb", region_name=REGION))
        return self._clients["status"]  # type: ignore[no-any-return]


def _tell_operator(line: str) -> None:
    """Printed like the server's status lines, not logged: once the handlers are imported (in the background at
    start), Powertools' logger sets the "photobooth" hierarchy to POWERTOOLS_LOG_LEVEL (WARNING on ``photobooth
    serve``), and an info line saying why a request ended FAILED would vanish."""
    print(line, flush=True)


def _upload_time(record: dict) -> datetime:
    """When the visitor's photo arrived, as the record knows it (a restart re-stores every object, so S3's
    ``LastModified`` would say "now")."""
    for name in ("uploadedAt", "createdAt"):
        try:
            when = datetime.fromisoformat(str(record[name]).replace("Z", "+00:00"))
        except (KeyError, ValueError):
            continue
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _age_seconds(when: datetime) -> float:
    return (datetime.now(UTC) - when).total_seconds()
