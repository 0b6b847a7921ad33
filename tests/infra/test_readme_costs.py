"""README's "What it costs" and "Cost" quote what the deployment is charged: the default fallback's price as
cost.py prices it, and an idle day with SnapStart's cached snapshots, which are billed whether or not anyone visits.

Lambda SnapStart for Python: "caching" per GB of function memory and second for every active published version, at
least 3 hours (https://aws.amazon.com/lambda/pricing/; constants.SNAPSTART_CACHE_USD_PER_GB_SECOND).
"""

from __future__ import annotations

import re

import pytest
from photobooth_infra import constants

from photobooth.config import DEFAULT_MODEL_IDS, Settings
from photobooth.cost import Prices
from tests.infra.conftest import REPO_ROOT

SECONDS_PER_DAY = 24 * 3600
DAYS_PER_MONTH = 30  # the README's "over a 30-day month"


def _section(heading: str) -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index(f"\n{heading}\n")
    level = heading.split(" ")[0]
    ends = [i for i in (readme.find(f"\n{level} ", start + 1), readme.find("\n## ", start + 1)) if i > 0]
    return readme[start : min(ends, default=len(readme))]


def _paragraph(text: str, opening: str) -> str:
    start = text.index(opening)
    end = text.find("\n\n", start)
    return " ".join(text[start : end if end > 0 else len(text)].split())


def _usd(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in {text!r}"
    return float(found.group(1))


def _fallback_price() -> float:
    return Prices().image_usd(DEFAULT_MODEL_IDS[1], 1024, 1024)


@pytest.mark.parametrize("heading", ["### What it costs", "## Cost"])
def test_the_fallbacks_price_is_the_one_cost_py_charges(heading: str) -> None:
    text = " ".join(_section(heading).split())
    fallback = _fallback_price()
    per_visitor = fallback * len(Settings().default_themes)

    assert _usd(r"Stable Image Core,? (?:paints instead: )?\$(\d+\.\d+) per image", text) == pytest.approx(fallback)
    assert _usd(r"about \$(\d+\.\d+) per visitor", text) == pytest.approx(per_visitor, abs=0.005)
    assert DEFAULT_MODEL_IDS[1] == "stability.stable-image-core-v1:1", "the README names Core as the fallback"


def test_an_idle_day_counts_snapstarts_cached_snapshots() -> None:
    idle = _paragraph(_section("### What it costs"), "**Per idle day**")
    memory_gb = (sum(spec.memory_mb for spec in constants.ALL_FUNCTIONS) + constants.AUTHORIZER_MEMORY_MB) / 1024
    snapshots = memory_gb * constants.SNAPSTART_CACHE_USD_PER_GB_SECOND * SECONDS_PER_DAY

    assert "SnapStart" in idle, idle
    assert _usd(r"SnapStart's cached snapshots \(\$(\d+\.\d+) a day", idle) == pytest.approx(snapshots, abs=0.005)
    assert f"{memory_gb:.1f} GB of function memory" in idle
    assert '"snap_start": false' in idle

    monthly = (
        _usd(r"the dashboard \(\$(\d+(?:\.\d+)?) a month", idle)
        + int(_usd(r"(\d+) alarms", idle)) * _usd(r"alarms \(\$(\d+\.\d+) each a month", idle)
        + _usd(r"the booth key secret \(\$(\d+\.\d+) a month", idle)
    )
    total = _usd(r"\*\*Per idle day\*\* without the SAM endpoint: \*\*about \$(\d+\.\d+)\*\*", idle)
    assert total == pytest.approx(snapshots + monthly / DAYS_PER_MONTH, abs=0.005)
