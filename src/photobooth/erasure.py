"""``photobooth erase``: the operator erases one visitor's request (by the short code on the visitor's screen, or
by its id), or everything after the event, on the local booth or on a deployed stack, after a confirmation.

Every erasure is the visitor's own erasure (``DELETE /photo/{id}``, :func:`photobooth.lifecycle.erase_request`):
a tombstone first, then every object of the request, so nothing comes back from a late upload or a repeated event.
Locally it goes through the running booth's API (the records live in its process); on AWS it runs with the
operator's credentials against the stack's bucket and table, as ``photobooth doctor`` does.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from photobooth import naming
from photobooth.models import ERASED

ALL_CONFIRMATION = "erase all"


class EraseError(Exception):
    """What the operator must fix before anything is erased (unknown code, booth not running, ...)."""


@dataclass(frozen=True)
class Known:
    """A request the booth holds: its id, the code the visitor's screen showed, its status."""

    request_id: str
    status: str

    @property
    def code(self) -> str:
        return naming.short_code(self.request_id)


class Booth(Protocol):
    where: str

    def requests(self) -> list[Known]:
        """Every request the booth holds (not erased ones, not a pad's aliases)."""
        ...

    def erase(self, request_id: str) -> bool:
        """Erase one request; ``False`` when it was gone already."""
        ...


def choose(known: list[Known], asked: list[str], *, everything: bool) -> list[Known]:
    """The requests named by ``asked`` (ids or codes), or all of them; raises :class:`EraseError` for a name that
    matches nothing, or a code that two requests share."""
    if everything:
        return list(known)
    by_id = {k.request_id: k for k in known}
    chosen: dict[str, Known] = {}
    for name in asked:
        if name in by_id:
            chosen[name] = by_id[name]
            continue
        code = naming.normalise_code(name)
        matches = [k for k in known if k.code == code]
        if not matches:
            raise EraseError(f"no request with the id or code {name!r} (codes are 6 characters, such as K7QF2M)")
        if len(matches) > 1:
            ids = ", ".join(k.request_id for k in matches)
            raise EraseError(f"the code {code} belongs to {len(matches)} requests ({ids}): name the id instead")
        chosen[matches[0].request_id] = matches[0]
    return list(chosen.values())


def run_erase(
    booth: Booth,
    asked: list[str],
    *,
    everything: bool,
    assume_yes: bool,
    ask: Callable[[str], str] | None,
    out: TextIO | None = None,
) -> int:
    """0 when what was asked is erased (or there was nothing to erase), 1 when the operator said no, 2 on an error.
    ``ask`` is ``None`` when nobody can answer (no terminal): then only ``assume_yes`` erases."""
    out = out or sys.stdout
    try:
        targets = choose(booth.requests(), asked, everything=everything)
    except EraseError as error:
        print(f"photobooth erase: {error}", file=out)
        return 2
    if not targets:
        print(f"nothing to erase: {booth.where} holds no requests", file=out)
        return 0
    for target in targets[:20]:
        print(f"  {target.code}  {target.request_id}  {target.status}", file=out)
    if len(targets) > 20:
        print(f"  ... and {len(targets) - 20} more", file=out)
    if not assume_yes:
        if everything:
            question = (
                f"Erase ALL {len(targets)} request(s) on {booth.where}: every photo, result and status record? "
                f"This cannot be undone. Type '{ALL_CONFIRMATION}' to go on: "
            )
            expected = {ALL_CONFIRMATION}
        else:
            question = f"Erase the {len(targets)} request(s) above on {booth.where}? This cannot be undone. [y/N] "
            expected = {"y", "yes"}
        if ask is None:
            print("photobooth erase: nobody to confirm (no terminal): pass --yes to erase without asking", file=out)
            return 2
        if ask(question).strip().lower() not in expected:
            print("nothing erased", file=out)
            return 1
    erased = 0
    for target in targets:
        if booth.erase(target.request_id):
            erased += 1
    print(f"erased {erased} request(s) on {booth.where}", file=out)
    return 0


class LocalBooth:
    """The running ``photobooth serve``: its records are listed from its data folder and erased through its API."""

    def __init__(self, url: str, data_dir: Path, *, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.data_dir = data_dir
        self.timeout = timeout
        self.where = f"the local booth at {self.url} (data in {data_dir})"

    def requests(self) -> list[Known]:
        self._check_running()
        records_dir = self.data_dir / "records"
        if not records_dir.is_dir():
            raise EraseError(f"{self.data_dir} is not a booth's data folder (no records/): pass the --data of serve")
        known = []
        for path in sorted(records_dir.glob("*.json")):
            try:
                item = json.loads(path.read_text(encoding="utf-8"))
                request_id = item["requestId"]["S"]
            except (OSError, ValueError, KeyError, TypeError):
                continue  # the server sets aside what it cannot read; nothing of it is served
            status = (item.get("status") or {}).get("S", "")
            if status and status != ERASED and "aliasOf" not in item:  # not a tombstone, not a pad's alias
                known.append(Known(request_id, status))
        return known

    def erase(self, request_id: str) -> bool:
        status = self._call("DELETE", f"/photo/{urllib.parse.quote(request_id, safe='')}")
        if status not in {204, 404}:
            raise EraseError(f"the booth answered {status} to erasing {request_id}")
        return status == 204

    def _check_running(self) -> None:
        try:
            self._call("GET", "/themes")
        except OSError as error:
            raise EraseError(
                f"no booth answers at {self.url} ({error}): start it with `photobooth serve --data {self.data_dir}` "
                "(erasure goes through the booth, so that nothing of the request comes back)"
            ) from error

    def _call(self, method: str, path: str) -> int:
        request = urllib.request.Request(self.url + path, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return int(error.code)


class AwsBooth:
    """A deployed stack, with the operator's credentials: the records from a scan of the status table (requestId
    and status only), each erased by :func:`photobooth.lifecycle.erase_request` on the stack's bucket and table."""

    def __init__(self, session: Any, *, bucket: str, table: str, retention_days: int, where: str) -> None:
        from photobooth.aws.dynamodb import DynamoStatusStore
        from photobooth.aws.s3 import S3ObjectStore

        self._dynamodb = session.client("dynamodb")
        self._table = table
        self._store = S3ObjectStore(bucket, client=session.client("s3"))
        self._status = DynamoStatusStore(table, session.resource("dynamodb"))
        self._retention_days = retention_days
        self.where = where

    @classmethod
    def from_stack(cls, session: Any, stack_name: str, *, retention_days: int | None = None) -> AwsBooth:
        """The stack's bucket and table from its outputs. The tombstones stay ``retention_days``, by default as long
        as the stack keeps its records (its ``RetentionDays`` output): while a record of the request may still come
        back, the tombstone must refuse it."""
        from botocore.exceptions import ClientError

        from photobooth.config import Settings

        try:
            stack = session.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
        except ClientError as error:
            raise EraseError(
                f"stack {stack_name} is not readable in {session.region_name}: {error} "
                "(pass --stack and --region of your deployment)"
            ) from error
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        if "BucketName" not in outputs or "StatusTableName" not in outputs:
            raise EraseError(f"stack {stack_name} has no BucketName/StatusTableName outputs: not a photobooth stack")
        return cls(
            session,
            bucket=outputs["BucketName"],
            table=outputs["StatusTableName"],
            retention_days=retention_days
            or int(outputs.get("RetentionDays", Settings.model_fields["retention_days"].default)),
            where=f"stack {stack_name} in {session.region_name}",
        )

    def requests(self) -> list[Known]:
        known = []
        scan: dict[str, Any] = {
            "TableName": self._table,
            "ProjectionExpression": "requestId, #status, aliasOf",
            "ExpressionAttributeNames": {"#status": "status"},
        }
        while True:
            page = self._dynamodb.scan(**scan)
            for item in page.get("Items", []):
                request_id = item["requestId"]["S"]
                status = item.get("status", {}).get("S", "")
                # Not a tombstone, not a pad's alias, not the kiosk's attempt count (photobooth.kiosk)
                if status and status != ERASED and "aliasOf" not in item:
                    known.append(Known(request_id, status))
            if "LastEvaluatedKey" not in page:
                return known
            scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def erase(self, request_id: str) -> bool:
        from photobooth import lifecycle

        if self._status.get(request_id) is None:
            return False
        lifecycle.erase_request(
            request_id, store=self._store, status=self._status, retention_days=self._retention_days
        )
        return True
