"""The recorder credits a call to the function whose handler frame is on the calling thread's stack. A call that
function code makes from a worker thread has no such frame: rather than let it pass unseen (and unchecked against
the role), the recorder keeps it apart, and the record's test fails on it (tests/iam/test_aws_calls.py)."""

from __future__ import annotations

import threading

import boto3
from moto import mock_aws

from tests.support.aws_calls import recording


def _list_buckets() -> None:
    boto3.client("s3", region_name="us-east-1").list_buckets()


def test_a_call_from_a_worker_thread_is_not_lost() -> None:
    with mock_aws(), recording() as recorder:
        _list_buckets()  # the test's own call, on the thread that records: set-up, not a function's
        worker = threading.Thread(target=_list_buckets)
        worker.start()
        worker.join()
    assert not recorder.calls
    assert [(call.service, call.operation) for call in recorder.unattributed] == [("s3", "ListBuckets")]
