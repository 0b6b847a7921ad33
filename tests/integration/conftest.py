from __future__ import annotations

import pytest

from photobooth import wiring
from tests.support.cloud import Cloud, cloud  # noqa: F401 - fixture


@pytest.fixture
def quiet_cloud(cloud: Cloud) -> Cloud:  # noqa: F811
    """The embedded AWS with S3's EventBridge notifications off: uploads start nothing by themselves, so a test
    sees only the workflows it starts."""
    cloud.s3().put_bucket_notification_configuration(Bucket=cloud.bucket, NotificationConfiguration={})
    wiring.reset()
    return cloud
