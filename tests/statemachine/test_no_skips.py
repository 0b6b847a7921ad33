"""A skipped test in tests/statemachine is reported failed (issue 19: `pytest -rs` shows no skip in the tier)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_a_skip_in_the_tier_is_a_failure(pytester: pytest.Pytester) -> None:
    # the tier's own conftest.py's hook
    pytester.makeconftest("from tests.statemachine.conftest import pytest_runtest_makereport  # noqa: F401\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.fixture
        def interpreter():
            pytest.skip("LocalStack is not installed")

        def test_a_case(interpreter):
            pass

        def test_skipped_in_its_body():
            pytest.skip("not today")

        @pytest.mark.xfail(reason="expected", strict=True)
        def test_expected_to_fail():
            assert False
        """
    )

    result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:cacheprovider")

    result.assert_outcomes(failed=1, errors=1, xfailed=1)  # a fixture's skip fails as an error
    result.stdout.fnmatch_lines(["*tests/statemachine runs every test, and this one was skipped*"])
