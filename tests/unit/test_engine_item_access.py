"""DynamoDB applies each item operation whole; the embedded engine's moto must too, whatever the threads.

moto updates an item attribute by attribute, and serialises its answer from the live item after the update: a
concurrent update could then fail with "dictionary changed size during iteration" (seen in CI as a generate step
that could not record its failed image), and a concurrent read could see a status without its finishedAt."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from photobooth.local.engine import MOTO_CONFIG, LocalCloud
from photobooth.local.moto_patches import install_patches

THREADS = 6
ROUNDS = 40


@pytest.fixture
def table() -> Iterator[object]:
    install_patches()
    with mock_aws(config=MOTO_CONFIG):
        local = LocalCloud()
        local.provision(notifications=False)
        yield boto3.resource("dynamodb", region_name="us-east-1").Table(local.table)


def test_concurrent_updates_and_reads_of_one_item_never_fail_or_tear(table):
    failures: list[str] = []
    torn: list[dict] = []

    def writer(index: int) -> None:
        for round_ in range(ROUNDS):
            try:
                table.update_item(
                    Key={"requestId": "busy"},
                    UpdateExpression="SET images.#i = :image, #status = :status, finishedAt = :at",
                    ExpressionAttributeNames={"#i": f"{index}-{round_}", "#status": "status"},
                    ExpressionAttributeValues={":image": {"n": round_}, ":status": "FAILED", ":at": str(round_)},
                )
            except Exception as error:  # any failure is the finding
                failures.append(repr(error))

    def reader() -> None:
        for _ in range(ROUNDS * 2):
            item = table.get_item(Key={"requestId": "busy"}, ConsistentRead=True)["Item"]
            if item.get("status") == "FAILED" and "finishedAt" not in item:
                torn.append(item)

    table.put_item(Item={"requestId": "busy", "status": "PROCESSING", "images": {}})
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(THREADS)]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert torn == []
    assert len(table.get_item(Key={"requestId": "busy"})["Item"]["images"]) == THREADS * ROUNDS
