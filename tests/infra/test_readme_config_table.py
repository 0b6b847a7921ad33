"""The README's table of configuration keys is the configuration the CDK app accepts: the same keys, the same
defaults, and infra/config.example.json uses only those keys. An operator copies keys from that table; a key it
names that the app refuses, or a default it states that the app does not use, is a wrong instruction."""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Callable
from typing import Any

import pytest
from photobooth_infra.config import _SET_BY_THE_DEPLOYMENT, BoothPageConfig, DeploymentConfig
from pydantic import BaseModel, ValidationError

from tests.infra.conftest import REPO_ROOT, Synth

README = REPO_ROOT / "README.md"
EXAMPLE = REPO_ROOT / "infra" / "config.example.json"
# Nested settings the table gives one row, whose cell lists the keys (booth_page: the page's own camelCase keys, too
# many for a row each); every other nested setting has a row per key (``sam.deploy``).
ONE_ROW: dict[str, type[BaseModel]] = {"booth_page": BoothPageConfig}

# Defaults the table describes in words instead of a value: the words, and what the default must then be.
DESCRIBED: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "account": ("the CLI's", lambda default: default is None),
    "region": ("the CLI's", lambda default: default is None),
    "themes": ("the five themes", lambda default: len(default) == 5),
    "bedrock_regions": ("the stack's region", lambda default: default == ()),
    "marketplace_product_ids": ("none", lambda default: default == ()),
    "allowed_origins": ("none", lambda default: default == ()),
    "alarm_email": ("none", lambda default: default is None),
    "kiosk_pin": ("none", lambda default: default is None),
    "expected_visitors_per_hour": ("none", lambda default: default is None),
    "sam.model_data_url": ("—", lambda default: default is None),
    "sam.image_uri": ("PyTorch 2.6 inference DLC", lambda default: default is None),
}


def _table_rows(section: str, want: int = 2) -> list[tuple[Any, ...]]:
    """``(keys, default cell[, meaning cell])`` of each row of the table under the README heading ``section``."""
    text = README.read_text()
    start = text.index(f"\n### {section}")
    body = text[start : text.index("\n#", start + 1)]
    rows = []
    for line in body.splitlines():
        if line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
            row = (re.findall(r"`([^`]+)`", cells[0]), cells[1], " | ".join(cells[2:]))
            rows.append(row[:want])
    return rows


def _readme_defaults() -> dict[str, str]:
    """Each key of the table and its default cell; a row of two keys with two values gives each its own."""
    defaults: dict[str, str] = {}
    for keys, cell in _table_rows("Configuration keys"):
        values = re.findall(r"`([^`]+)`", cell)
        for index, key in enumerate(keys):
            assert key not in defaults, f"{key} is listed twice"
            defaults[key] = f"`{values[index]}`" if len(keys) > 1 and len(values) == len(keys) else cell
    return defaults


def _accepted_defaults() -> dict[str, Any]:
    """Every key DeploymentConfig accepts, nested settings as ``sam.deploy`` (those of ONE_ROW as themselves), with
    its default."""
    accepted: dict[str, Any] = {}
    for name, field in DeploymentConfig.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, BaseModel) and name not in ONE_ROW:
            for inner, inner_field in type(default).model_fields.items():
                accepted[f"{name}.{inner}"] = inner_field.get_default(call_default_factory=True)
        else:
            accepted[name] = default
    return accepted


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def test_the_table_lists_exactly_the_keys_the_app_accepts():
    assert sorted(_readme_defaults()) == sorted(_accepted_defaults())


def test_the_example_file_uses_only_keys_the_table_lists_and_is_accepted():
    example = json.loads(EXAMPLE.read_text())
    nested = {name for name, default in _accepted_defaults().items() if "." in name}
    keys = set()
    for key, value in example.items():
        inner = {f"{key}.{name}" for name in value} if isinstance(value, dict) else set()
        keys |= inner if inner <= nested and inner else {key}
    assert keys <= set(_readme_defaults())
    DeploymentConfig.model_validate(example)


@pytest.mark.parametrize("key", sorted(_accepted_defaults()))
def test_the_table_states_the_default_the_app_uses(key):
    default = _accepted_defaults()[key]
    cell = _readme_defaults()[key]
    if key in DESCRIBED:
        words, holds = DESCRIBED[key]
        assert words in cell and holds(default), (key, cell, default)
        return
    values = [_value(value) for value in re.findall(r"`([^`]+)`", cell)]
    if isinstance(default, BaseModel):  # a ONE_ROW setting: what it writes when the operator sets none of its keys
        default = default.model_dump(exclude_none=True, mode="json")
    if isinstance(default, tuple):
        assert tuple(values) == default, (key, cell)
    else:
        assert values and values[0] == default, (key, cell, default)


def _listed_keys(text: str) -> dict[str, list[str]]:
    """The keys a sentence names, each with those in its parenthesis: `a` (`b`, `c`), `d` -> {a: [b, c], d: []}."""
    return {
        key: re.findall(r"`([^`]+)`", inner) for key, inner in re.findall(r"`([A-Za-z_]+)`(?:\s*\(([^)]*)\))?", text)
    }


@pytest.mark.parametrize("name", sorted(ONE_ROW))
def test_a_one_row_setting_lists_exactly_the_keys_its_model_accepts(name: str) -> None:
    """booth_page's row names every key of web/config.js an operator may set, and no other; the keys of a nested
    setting (``timeouts``) in the parenthesis after it."""
    model = ONE_ROW[name]
    ((_, _, meaning),) = [row for row in _table_rows("Configuration keys", want=3) if row[0] == [name]]
    listed = _listed_keys(meaning.split("Keys: ", 1)[1].split(". Any other key", 1)[0])
    assert sorted(listed) == sorted(model.model_fields)
    for key, field in model.model_fields.items():
        inner = [t for t in typing.get_args(field.annotation) if isinstance(t, type) and issubclass(t, BaseModel)]
        if inner:
            assert sorted(listed[key]) == sorted(inner[0].model_fields), key


def test_the_booth_page_keys_the_row_says_the_deployment_sets_are_refused() -> None:
    """ "`apiBase`, `retentionDays` and `boothKeyRequired` are set by the deployment": the model refuses each."""
    ((_, _, meaning),) = [row for row in _table_rows("Configuration keys", want=3) if row[0] == ["booth_page"]]
    said = re.search(r"((?:`\w+`(?:, | and )?)+) (?:are|is) set by the deployment", meaning)
    assert said, "the booth_page row no longer says which keys the deployment sets"
    keys = re.findall(r"`(\w+)`", said.group(1))
    assert keys and set(keys) <= set(_SET_BY_THE_DEPLOYMENT)
    for key in keys:
        with pytest.raises(ValidationError, match=key):
            BoothPageConfig.model_validate({key: "x"})


@pytest.mark.slow
def test_the_cost_section_counts_the_default_configurations_alarms(default: Synth):
    text = README.read_text()
    stated = re.search(r"(\d+) alarms \(\$0\.10\s+each a month", text)
    assert stated, "the cost section no longer names the alarms' count"
    assert int(stated.group(1)) == len(default.resources("AWS::CloudWatch::Alarm"))
