"""The embedded engine shares boto3 clients between deliveries and tasks, and preloads the handlers."""

from __future__ import annotations

import pytest

from photobooth.local import engine


def test_a_client_is_built_once_per_service_and_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_clients", {})
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5001")
    first = engine._shared_client("stepfunctions", region_name=engine.REGION)

    assert engine._shared_client("stepfunctions", region_name=engine.REGION) is first
    assert first.meta.endpoint_url == "http://127.0.0.1:5001"

    # A booth started on another moto port must not talk to the first one's server.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5002")
    other = engine._shared_client("stepfunctions", region_name=engine.REGION)
    assert other is not first and other.meta.endpoint_url == "http://127.0.0.1:5002"
    assert engine._shared_client("s3", region_name=engine.REGION) is not other


def test_the_warm_up_loads_every_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_handler_modules", {})

    engine.warm_up_in_background().join(timeout=120)

    folders = {path.parent.name for path in (engine.project_root() / "functions").glob("*/handler.py")}
    assert folders and set(engine._handler_modules) == folders


def test_the_definition_is_parsed_once_for_the_state_machine_and_all_its_runs() -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    engine.install_patches()
    definition = engine.render_definition(engine.definition_path().read_text(), engine.LocalCloud().substitutions())
    created = AmazonStateLanguageParser.parse(definition)  # what create_state_machine does to validate it

    assert AmazonStateLanguageParser.parse(definition) is created  # what every execution does
    with pytest.raises(Exception, match="ASLParser"):
        AmazonStateLanguageParser.parse("{not a definition")
