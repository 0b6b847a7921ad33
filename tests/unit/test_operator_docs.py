"""What the README tells staff and operators about the event day (issue 23 item 10) is what the booth does: the
staff table quotes the page's own error messages, the erase section the CLI's own options, and the example
configuration names no image model past its end of life."""

from __future__ import annotations

import json
import re
from pathlib import Path

from photobooth.local.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")

# Bedrock lists these Legacy, end of life 2026-06-30 and 2026-09-30 (/work/shared/FACTS.md, "Image models on
# Amazon Bedrock"; https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html).
END_OF_LIFE_MODELS = ("amazon.titan-image-generator-v1", "amazon.titan-image-generator-v2", "amazon.nova-canvas-v1")


def section(title: str) -> str:
    start = README.index(title)
    following = re.search(r"^#{2,3} ", README[start + len(title) :], flags=re.MULTILINE)
    return README[start : start + len(title) + (following.start() if following else len(README))]


def english_messages() -> dict[str, str]:
    source = (ROOT / "web" / "js" / "i18n.js").read_text(encoding="utf-8")
    english = source[source.index("en: {") : source.index("ko: {")]
    return dict(re.findall(r'"error\.([A-Z_]+)":\s*"([^"]+)"', english))


def test_the_staff_table_quotes_what_the_screen_says_for_every_failure() -> None:
    table = section("### When a photo fails (for staff)")
    messages = english_messages()
    for code in ("NO_FACE", "INVALID_IMAGE", "TOO_LARGE", "UNSUPPORTED_TYPE", "MODERATION_REJECTED",
                 "GENERATION_FAILED", "INTERNAL", "NETWORK", "TIMEOUT"):  # fmt: skip
        opening = re.split(r"[—.:]", messages[code])[0].strip()
        quoted = re.findall(r'"([^"]+)"', table)
        assert any(opening.startswith(q) or q.startswith(opening[:20]) for q in quoted), (code, opening)


def test_the_erase_section_names_only_options_the_cli_has() -> None:
    text = section("## On the event day: finding and erasing a visitor's request")
    erase = build_parser()._subparsers._group_actions[0].choices["erase"]  # type: ignore[union-attr]
    options = {option for action in erase._actions for option in action.option_strings}
    named = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", text))
    assert named and named <= options, named - options
    # What staff type to confirm is what the CLI expects.
    from photobooth.erasure import ALL_CONFIRMATION

    assert f"type `{ALL_CONFIRMATION}` to confirm" in text


def test_the_example_configuration_names_no_model_past_its_end_of_life() -> None:
    example = json.loads((ROOT / "infra" / "config.example.json").read_text())
    stale = [m for m in example["bedrock_model_ids"] if any(m.split(":")[0].endswith(e) for e in END_OF_LIFE_MODELS)]
    assert example["bedrock_model_ids"] and not stale, stale


def test_the_lan_paragraph_names_what_a_phone_reaches_without_the_key() -> None:
    """Issue 23 item 3: the README's `serve --lan` paragraph says what the local network reaches without the booth
    key and what needs it; both must be the routes `photobooth.local.lan` leaves open and the rest of the API."""
    from photobooth.local import apigw, lan

    start = README.index("- `photobooth serve --lan [ADDRESS]`")
    paragraph = README[start : README.index("\n- ", start + 1)]
    open_part, keyed_part = paragraph.split("**Everything else needs the key**")
    route = re.compile(r"`(GET|POST|PUT|DELETE) (/[^`]*)`")
    every_route = {(method, template) for method, template, _ in apigw.ROUTES}
    assert set(route.findall(open_part)) == lan.OPEN_ON_THE_LAN
    assert set(route.findall(keyed_part)) == every_route - lan.OPEN_ON_THE_LAN
