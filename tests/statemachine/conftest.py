from collections.abc import Iterator

import pytest

from photobooth.local.recovery import Recovery
from tests.statemachine.no_skips import pytest_runtest_makereport  # noqa: F401 - a skip here is a failure
from tests.support.cloud import cloud  # noqa: F401 - fixture


@pytest.fixture
def recovery(cloud) -> Iterator[Recovery]:  # noqa: F811 - the fixture above
    """The local server's end-of-run hook, watching the test's executions. No periodic sweep during a test: only
    the hook (or a test calling ``sweep()`` itself) may close a request, and the thread must not race the test."""
    watcher = Recovery(
        table=cloud.local.table,
        bucket=cloud.bucket,
        state_machine_arn=cloud.local.state_machine_arn,
        retention_days=7,
        sweep_every=3600,
    )
    watcher.watch()
    yield watcher
    watcher.stop_watching()
