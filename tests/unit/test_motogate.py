"""moto's gate: which keys an S3 request touches, and per-key turns."""

from __future__ import annotations

import threading
import time

from photobooth.local.motogate import KeyLocks, s3_keys_touched


def test_an_object_request_touches_its_decoded_key():
    assert s3_keys_touched("GET", "/bucket/photo/abcdefgh/a%3Fb%23c.jpg", "", b"") == {
        "bucket/photo/abcdefgh/a?b#c.jpg"
    }


def test_a_delete_objects_batch_touches_every_key_in_it():
    body = b"<Delete><Object><Key>work/a/input.png</Key></Object><Object><Key>a&amp;b.jpg</Key></Object></Delete>"
    assert s3_keys_touched("POST", "/bucket", "delete", body) == {"bucket/work/a/input.png", "bucket/a&b.jpg"}


def test_listing_touches_no_single_key():
    assert s3_keys_touched("GET", "/bucket/", "list-type=2&prefix=photo%2F", b"") == set()


def test_requests_on_one_key_take_turns_and_other_keys_do_not_wait():
    locks = KeyLocks()
    inside: list[str] = []
    overlap = threading.Event()

    def hold(name: str, label: str) -> None:
        with locks.holding([name]):
            inside.append(label)
            if len([x for x in inside if x.startswith(name)]) > 1:
                overlap.set()
            time.sleep(0.05)
            inside.remove(label)

    threads = [threading.Thread(target=hold, args=("k1", f"k1-{i}")) for i in range(5)]
    threads.append(threading.Thread(target=hold, args=("k2", "k2-0")))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert not overlap.is_set()
    assert len(locks) == 0  # nothing left behind once nobody waits
