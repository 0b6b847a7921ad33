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


def test_requests_on_one_key_take_turns():
    locks = KeyLocks()
    inside: list[str] = []
    overlap = threading.Event()

    def hold(name: str, label: str) -> None:
        with locks.holding([name]):
            inside.append(label)
            if len([x for x in inside if x.startswith(name)]) > 1:
                overlap.set()
            time.sleep(0.05)  # only widens the window in which a broken lock would let a second one in
            inside.remove(label)

    threads = [threading.Thread(target=hold, args=("k1", f"k1-{i}")) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert not overlap.is_set()
    assert len(locks) == 0  # nothing left behind once nobody waits


def test_a_request_on_another_key_goes_in_while_one_key_is_held():
    locks = KeyLocks()
    holding, release = threading.Event(), threading.Event()
    entered = {"k1": threading.Event(), "k2": threading.Event()}

    def hold_k1() -> None:
        with locks.holding(["k1"]):
            holding.set()
            release.wait(timeout=60)

    def enter(name: str) -> None:
        with locks.holding([name]):
            entered[name].set()

    holder = threading.Thread(target=hold_k1)
    holder.start()
    assert holding.wait(timeout=30)
    others = [threading.Thread(target=enter, args=(name,)) for name in ("k1", "k2")]
    for thread in others:
        thread.start()
    try:
        # Waits on the event, not on time: with one lock for all keys k2 would stay out until the release.
        assert entered["k2"].wait(timeout=30), "a request on k2 waited for the one holding k1"
        assert not entered["k1"].is_set(), "a second request on k1 went in while k1 was held"
    finally:
        release.set()
        holder.join(timeout=30)
    assert entered["k1"].wait(timeout=30)  # and it goes in once the key is free
    for thread in others:
        thread.join(timeout=30)
    assert len(locks) == 0
