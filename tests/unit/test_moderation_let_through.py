"""Third-level moderation labels the booth lets through: a shirtless visitor on the beach theme is not refused.

Rekognition's taxonomy (https://docs.aws.amazon.com/rekognition/latest/dg/moderation-api.html, "Label Categories"):
"Non-Explicit Nudity" (L2, under "Non-Explicit Nudity of Intimate parts and Kissing") covers the L3 labels
"Bare Back", "Exposed Male Nipple", "Partially Exposed Buttocks", "Partially Exposed Female Breast" and "Implied
Nudity". The page recommends moderating with L1/L2 categories and using L3 labels to exempt specific concepts; the
swimwear labels are L2 of their own category ("Swimwear or Underwear"), which the booth does not refuse.
A picture is let through only when every finding under a refused category is a let-through L3 label: an L2 finding
without an L3 label under it, or any other L3 label beside the let-through ones, is still refused.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from photobooth import moderation, pipeline
from photobooth.aws.moderation import RekognitionModerator
from photobooth.config import Settings
from photobooth.errors import PhotoRejected
from photobooth.offline.faces import BundledFaceDetector
from tests.support import portraits
from tests.support.fakes import MemoryObjectStore, MemoryStatusStore

L1 = "Non-Explicit Nudity of Intimate parts and Kissing"
L2 = "Non-Explicit Nudity"
REQUEST_ID = "req-beach-0001"
PHOTO_KEY = f"photo/{REQUEST_ID}/beach.jpg"


def rekognition_answer(*l3_names: str, confidence: float = 93.0) -> dict:
    """DetectModerationLabels' answer as Rekognition lists a finding: its L1 and L2 parents beside it."""
    labels = [
        {"Name": L1, "ParentName": "", "TaxonomyLevel": 1, "Confidence": confidence},
        {"Name": L2, "ParentName": L1, "TaxonomyLevel": 2, "Confidence": confidence},
    ]
    labels += [{"Name": n, "ParentName": L2, "TaxonomyLevel": 3, "Confidence": confidence} for n in l3_names]
    return {"ModerationLabels": labels, "ModerationModelVersion": "7.0"}


def labels_of(answer: dict):
    client = boto3.client("rekognition", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        stubber.add_response("detect_moderation_labels", answer)
        return RekognitionModerator(client).moderation_labels(portraits.astronaut())


def refused(answer: dict, settings: Settings) -> list[str]:
    found = moderation.refused_labels(
        labels_of(answer),
        categories=settings.moderation_categories,
        min_confidence=settings.moderation_min_confidence,
        let_through=settings.moderation_let_through_labels,
    )
    return sorted({label.name for label in found})


def test_the_default_lets_bare_backs_and_male_nipples_through():
    assert Settings().moderation_let_through_labels == ("Bare Back", "Exposed Male Nipple")


@pytest.mark.parametrize("l3", [("Bare Back",), ("Exposed Male Nipple",), ("Bare Back", "Exposed Male Nipple")])
def test_a_shirtless_visitor_is_let_through(l3):
    assert refused(rekognition_answer(*l3), Settings()) == []


@pytest.mark.parametrize(
    "l3",
    [("Partially Exposed Female Breast",), ("Bare Back", "Partially Exposed Buttocks"), ("Implied Nudity",)],
)
def test_other_non_explicit_nudity_is_still_refused(l3):
    # The L1 parent is not a refused category by default ("Kissing on the Lips" shares it).
    assert refused(rekognition_answer(*l3), Settings()) == sorted({L2, *l3} - {"Bare Back"})


def test_a_second_level_finding_without_a_third_level_label_is_still_refused():
    assert refused(rekognition_answer(), Settings()) == [L2]


def test_an_operator_may_refuse_bare_backs_too():
    assert refused(rekognition_answer("Bare Back"), Settings(moderation_let_through_labels=())) == ["Bare Back", L2]


def test_a_category_cannot_be_let_through_as_a_label():
    with pytest.raises(ValueError, match="third-level"):
        Settings(moderation_let_through_labels=("Non-Explicit Nudity",))


class Answering:
    def __init__(self, answer: dict) -> None:
        self.answer = answer

    def moderation_labels(self, image):
        return labels_of(self.answer)


def _detect(answer: dict) -> dict:
    store, status = MemoryObjectStore(), MemoryStatusStore()
    store.put(PHOTO_KEY, portraits.jpeg_bytes(), "image/jpeg")
    status.create_pending({"requestId": REQUEST_ID, "status": "PROCESSING", "images": {}})
    return pipeline.detect(
        pipeline.DetectRequest(requestId=REQUEST_ID, bucket="b", key=PHOTO_KEY),
        store=store,
        status=status,
        detector=BundledFaceDetector(),
        settings=Settings(backend="offline"),
        moderator=Answering(answer),
    )


def test_the_detect_step_lets_a_bare_back_through_and_refuses_a_partially_exposed_breast():
    assert _detect(rekognition_answer("Bare Back"))["faces"]

    with pytest.raises(PhotoRejected):
        _detect(rekognition_answer("Partially Exposed Female Breast"))
