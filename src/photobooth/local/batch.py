"""``photobooth run``: the workflow for photo files on disk, with the same ASL, handlers and offline models as
``photobooth serve``, in memory (nothing is kept but the results written to ``--out``)."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from photobooth import naming
from photobooth.local.engine import (
    MOTO_CONFIG,
    LocalCloud,
    lambda_context,
    load_handler,
    offline_environment,
    warm_up_in_background,
)
from photobooth.local.runs import executions_ended, wait_for_an_execution_end

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png"}
TERMINAL = {"SUCCEEDED", "PARTIAL", "FAILED"}
PHOTOS_AT_ONCE = 1
STAGES = ("Detect faces", "Cut out the people", "Generate image", "Record the result", "Record the failure")


@dataclass
class Outcome:
    photo: Path
    status: str
    results: list[Path] = field(default_factory=list)
    error_code: str | None = None
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)
    message: str = ""
    cost: dict | None = None  # the status record's estimate of what AWS would charge (photobooth.cost)


def _photos(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES))
        else:
            found.append(path)
    return found


def _content_type(path: Path) -> str:
    return "image/png" if path.suffix.lower() == ".png" else "image/jpeg"


def _api(function: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    from photobooth.local import apigw

    event = apigw.http_event(method, path, body=json.dumps(body) if body is not None else None)
    answer = load_handler(function)(event, lambda_context(f"photobooth-{function}"))
    return answer["statusCode"], json.loads(answer.get("body") or "{}")


def _stage_seconds(sfn: object, execution_arn: str) -> dict[str, float]:
    """Time spent in each step, from the execution history (Map iterations add up)."""
    events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]  # type: ignore[attr-defined]
    entered: dict[int, tuple[str, float]] = {}
    totals: dict[str, float] = defaultdict(float)
    for event in events:
        if "stateEnteredEventDetails" in event:
            entered[event["id"]] = (event["stateEnteredEventDetails"]["name"], event["timestamp"].timestamp())
        elif "stateExitedEventDetails" in event:
            name = event["stateExitedEventDetails"]["name"]
            starts = [(i, t) for i, (n, t) in entered.items() if n == name]
            if starts:
                index, start = starts[-1]
                del entered[index]
                totals[name] += event["timestamp"].timestamp() - start
    return {name: round(seconds, 2) for name, seconds in totals.items() if name in STAGES}


def _wait_until_ended(table: object, request_id: str, *, deadline: float, stop: threading.Event | None) -> bool:
    """Look at the record's status alone whenever an execution ends (and at least every half second, for a photo
    the workflow never started). Polling GET /photo, or even the record, ten times a second took CPU from the
    photo being made on the same cores: presigning, boto3 and moto's serialiser all hold the GIL."""
    while time.monotonic() < deadline and not (stop and stop.is_set()):
        seen = executions_ended()
        item = table.get_item(  # type: ignore[attr-defined]
            Key={"requestId": request_id},
            ProjectionExpression="#status",
            ExpressionAttributeNames={"#status": "status"},
            ConsistentRead=True,
        ).get("Item", {})
        if item.get("status") in TERMINAL:
            return True
        wait_for_an_execution_end(seen, timeout=0.5)
    return False


_per_thread = threading.local()


def _clients(cloud: LocalCloud) -> tuple[Any, Any, Any]:
    """This thread's S3 client, status table and Step Functions client, built once per thread: photos run on
    worker threads, and boto3's default session is not safe to build clients from concurrently (boto3 docs,
    "Multithreading or multiprocessing with clients"); a session per photo loaded every service model again."""
    made = getattr(_per_thread, "clients", None)
    if made is None or made[0] is not cloud:
        session = boto3.session.Session()
        made = (
            cloud,
            session.client("s3"),
            session.resource("dynamodb").Table(cloud.table),
            session.client("stepfunctions"),
        )
        _per_thread.clients = made
    return made[1], made[2], made[3]


def process(
    photo: Path,
    out_dir: Path,
    cloud: LocalCloud,
    themes: list[str] | None,
    timeout: float = 600,
    *,
    stop: threading.Event | None = None,
) -> Outcome:
    started = time.monotonic()
    filename = photo.name if naming.stem_of(photo.name) else "photo.jpg"
    body: dict = {"type": "photo", "filename": filename, "contentType": _content_type(photo)}
    if themes:
        body["themes"] = themes
    code, answer = _api("presign", "POST", "/upload", body)
    if code != 200:
        return Outcome(photo, "FAILED", error_code="REFUSED", message=str(answer.get("message", "")))
    s3, table, sfn = _clients(cloud)
    s3.put_object(Bucket=cloud.bucket, Key=answer["Key"], Body=photo.read_bytes(), ContentType=_content_type(photo))
    request_id = answer["requestId"]
    if not _wait_until_ended(table, request_id, deadline=time.monotonic() + timeout, stop=stop):
        return Outcome(photo, "TIMEOUT", error_code="INTERNAL", seconds=time.monotonic() - started)
    _, status = _api("status", "GET", f"/photo/{request_id}")  # the answer a pad gets, once

    record = table.get_item(Key={"requestId": request_id})["Item"]
    results: list[Path] = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for image in status["images"]:
        entry = (record.get("images") or {}).get(str(image["index"]))
        if image["status"] == "SUCCEEDED" and entry and entry.get("key"):
            target = out_dir / entry["key"].rsplit("/", 1)[-1]
            target.write_bytes(s3.get_object(Bucket=cloud.bucket, Key=entry["key"])["Body"].read())
            results.append(target)
    stages = _stage_seconds(sfn, str(record["executionArn"]))
    error = status.get("error") or {}
    return Outcome(
        photo,
        status["status"],
        results,
        error.get("code"),
        time.monotonic() - started,
        stages,
        cost=status.get("cost"),
    )


def cost_summary(outcomes: list[Outcome]) -> str | None:
    """What the photos would have cost on AWS: this run itself spent nothing."""
    costs = [o.cost for o in outcomes if o.cost]
    if not costs:
        return None
    total = sum(cost["usd"] for cost in costs)
    dates = sorted({cost["pricesAsOf"] for cost in costs})
    return (
        f"estimated AWS cost: ${total / len(costs):.4f} per photo, ${total:.4f} for {len(costs)} photo(s) "
        f"(prices as of {', '.join(dates)}); this offline run cost nothing"
    )


def run_photos(paths: list[Path], out_dir: Path, *, themes: list[str] | None = None) -> int:
    """Exit code: 0 when every photo gave all its images, 1 when any failed or was only partly made."""
    from moto import mock_aws
    from tqdm import tqdm

    photos = _photos(paths)
    missing = [p for p in photos if not p.is_file()]
    if missing or not photos:
        print(f"no such photo: {missing[0] if missing else paths}", file=sys.stderr)
        return 2
    os.environ.update(offline_environment())
    os.environ.pop("AWS_ENDPOINT_URL", None)
    outcomes: list[Outcome] = []
    # The handlers' imports (numpy, OpenCV, LiteRT: much of it loading shared libraries, which frees the GIL)
    # overlap the set-up of the embedded AWS and then the first photo. Importing builds no adapter, so the
    # environment the set-up adds below is read in time.
    warm_up_in_background()
    with mock_aws(config=MOTO_CONFIG):
        cloud = LocalCloud()
        cloud.provision()
        os.environ.update(cloud.environment())
        from photobooth import wiring

        wiring.reset()
        # One photo at a time since segmentation takes milliseconds: a photo's themes keep both cores busy, and a
        # second photo beside it doubled the first one's wait (2.5 s -> 4.5-5 s) for no gain in total (4 photos:
        # 9.6 s either way). The pool stays so that this stays a tunable. Results come in the order given.
        pool = ThreadPoolExecutor(max_workers=PHOTOS_AT_ONCE, thread_name_prefix="photo")
        stop = threading.Event()
        try:
            done = pool.map(lambda photo: process(photo, out_dir, cloud, themes, stop=stop), photos)
            for photo, outcome in tqdm(
                zip(photos, done, strict=True), total=len(photos), desc="photos", unit="photo", file=sys.stderr
            ):
                outcomes.append(outcome)
                timings = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in outcome.stages.items())
                detail = f" {outcome.error_code}" if outcome.error_code else ""
                detail += f" ({outcome.message})" if outcome.message else ""
                tqdm.write(
                    f"{photo.name}: {outcome.status}{detail}, {len(outcome.results)} image(s) in "
                    f"{outcome.seconds:.1f}s"
                    + (f" ({timings})" if timings else "")
                    + (f", would cost ${outcome.cost['usd']:.4f} on AWS" if outcome.cost else ""),
                    file=sys.stdout,
                )
        finally:
            # Ctrl+C: photos not started are dropped, and those in progress stop waiting for their results.
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
    summary = cost_summary(outcomes)
    if summary:
        print(summary, file=sys.stdout)
    failed = [o for o in outcomes if o.status != "SUCCEEDED"]
    for outcome in failed:
        print(f"error: {outcome.photo}: {outcome.status} {outcome.error_code or ''}".rstrip(), file=sys.stderr)
    return 1 if failed else 0
