"""What the booth page tells a visitor about retention is what the deployment does (issue 23 item 2).

The deployed config.js (the booth page's settings) is read back from the synthesized cloud assembly and its
retention periods are compared with the data bucket's lifecycle rules and the functions' status-record TTL in the
template. tests/e2e/test_eventday_screens.py checks that the page states those config.js values.

S3 lifecycle expiration: "Amazon S3 calculates the expiration time by adding the number of days specified in the
rule to the object creation time" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-expire-general-considerations.html),
so ``ExpirationInDays`` of a prefix's rule is the number of days a visitor is told for that prefix.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from photobooth_infra import constants
from photobooth_infra.config import DeploymentConfig

from tests.infra.conftest import Synth, _synth

pytestmark = pytest.mark.slow

# Off the defaults and unequal.
RETENTION_CONFIG = DeploymentConfig(retention_days=3, generated_retention_days=14)


@pytest.mark.parametrize("key", ["retentionDays", "generatedRetentionDays"])
def test_booth_page_cannot_state_another_retention_period(key: str) -> None:
    with pytest.raises(ValueError, match=key):
        DeploymentConfig(booth_page={key: 99})


@pytest.fixture(scope="module")
def retention(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth(tmp_path_factory.mktemp("retention"), RETENTION_CONFIG)


def deployed_config_js(synth: Synth) -> dict[str, Any]:
    """The config.js that the booth page's BucketDeployment uploads, read from its asset in the cloud assembly."""
    _, deployment = synth.one("Custom::CDKBucketDeployment")
    keys = [str(key) for key in deployment["Properties"]["SourceObjectKeys"]]
    found = []
    for key in keys:
        asset = synth.outdir / f"asset.{key.removesuffix('.zip')}"
        if (asset / "config.js").is_file() and not (asset / "index.html").exists():
            found.append(asset / "config.js")
    assert len(found) == 1, f"expected one generated config.js among the deployment's sources {keys}: {found}"
    return _settings_of(found[0])


def _settings_of(path: Path) -> dict[str, Any]:
    match = re.search(r"window\.PHOTOBOOTH_CONFIG = (\{.*\});", path.read_text(), re.DOTALL)
    assert match, path.read_text()[:300]
    return dict(json.loads(match.group(1)))


def expiration_days(synth: Synth) -> dict[str, int]:
    """The data bucket's lifecycle rules as {prefix: days}."""
    _, bucket = synth.one("AWS::S3::Bucket", "StorageData")
    rules = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    return {
        rule["Prefix"]: rule["ExpirationInDays"] for rule in rules if "Prefix" in rule and "ExpirationInDays" in rule
    }


def record_days(synth: Synth) -> set[int]:
    """PHOTOBOOTH_RETENTION_DAYS of every function: the status record's TTL, i.e. until when the phone page opens."""
    return {
        int(function["Properties"]["Environment"]["Variables"]["PHOTOBOOTH_RETENTION_DAYS"])
        for function in synth.resources("AWS::Lambda::Function").values()
        if "PHOTOBOOTH_RETENTION_DAYS" in function["Properties"].get("Environment", {}).get("Variables", {})
    }


def test_the_deployed_page_states_the_periods_the_bucket_and_the_table_apply(retention: Synth) -> None:
    page = deployed_config_js(retention)
    days = expiration_days(retention)
    # The photo and the request's working files go with the retention the page calls the photo's ...
    assert page["retentionDays"] == days[constants.PHOTO_PREFIX] == days[constants.WORK_PREFIX] == 3
    assert record_days(retention) == {page["retentionDays"]}
    # ... the pictures and the event wall's copies of them with the one it calls the pictures'.
    assert page["generatedRetentionDays"] == days[constants.GENERATED_PREFIX] == days[constants.WALL_PREFIX] == 14


def test_the_default_deployment_tells_the_same_truth(default: Synth) -> None:
    page = deployed_config_js(default)
    days = expiration_days(default)
    assert page["retentionDays"] == days[constants.PHOTO_PREFIX]
    assert page["generatedRetentionDays"] == days[constants.GENERATED_PREFIX] == days[constants.WALL_PREFIX]


def test_the_stack_tells_photobooth_erase_how_long_it_keeps_records(retention: Synth, default: Synth) -> None:
    """``photobooth erase --stack`` keeps each tombstone as long as the stack keeps records: it reads this output."""
    for synth in (retention, default):
        (days,) = record_days(synth)
        assert synth.template["Outputs"]["RetentionDays"]["Value"] == str(days)
