from tests.support.cloud import cloud  # noqa: F401 - fixture
