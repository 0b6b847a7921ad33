"""README's "Cold starts on AWS" tells an operator what the stack and `make bench` do (no synthesis needed)."""

from __future__ import annotations

import re

from photobooth_infra import constants
from photobooth_infra.config import DeploymentConfig

from bench import cold_start
from tests.infra.conftest import REPO_ROOT

SECONDS_PER_MONTH = 30 * 24 * 3600


def _section() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("### Cold starts on AWS")
    return readme[start : readme.index("\n## ", start)]


def test_the_runtime_named_is_the_one_deployed() -> None:
    assert f"`{constants.PYTHON_RUNTIME.name}`" in _section()
    assert f"pyenv's Python {constants.PYTHON_VERSION}" in _section()


def test_the_model_shown_covers_the_functions_bench_models_in_their_order() -> None:
    rows = re.findall(r"^    (\w+)\s+no bytecode", _section(), flags=re.MULTILINE)
    assert rows == list(cold_start.PATH)


def test_the_monthly_snapshot_cost_is_the_stacks_memory_at_the_caching_price() -> None:
    memory_gb = (sum(spec.memory_mb for spec in constants.ALL_FUNCTIONS) + constants.AUTHORIZER_MEMORY_MB) / 1024
    monthly = memory_gb * constants.SNAPSTART_CACHE_USD_PER_GB_SECOND * SECONDS_PER_MONTH
    (stated,) = set(re.findall(r"about \$(\d+) a month", _section()))
    assert int(stated) == round(monthly)
    assert f"{memory_gb:.1f} GB of function memory" in _section()


def test_snapstart_is_on_unless_the_operator_turns_it_off() -> None:
    assert DeploymentConfig().snap_start is True
    assert '"snap_start": false' in _section()
