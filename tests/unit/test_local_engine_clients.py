"""The embedded engine shares boto3 clients between deliveries and tasks, and preloads the handlers."""

from __future__ import annotations

import gc

import pytest

from photobooth.local import engine, handlers, moto_patches


def test_a_client_is_built_once_per_service_and_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto_patches, "_clients", {})
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5001")
    first = moto_patches.shared_client("stepfunctions", region_name=engine.REGION)

    assert moto_patches.shared_client("stepfunctions", region_name=engine.REGION) is first
    assert first.meta.endpoint_url == "http://127.0.0.1:5001"

    # A booth started on another moto port must not talk to the first one's server.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5002")
    other = moto_patches.shared_client("stepfunctions", region_name=engine.REGION)
    assert other is not first and other.meta.endpoint_url == "http://127.0.0.1:5002"
    assert moto_patches.shared_client("s3", region_name=engine.REGION) is not other


def test_the_warm_up_loads_every_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handlers, "_handler_modules", {})

    engine.warm_up_in_background().join(timeout=120)
    gc.unfreeze()  # this test process is no booth

    folders = {path.parent.name for path in (engine.project_root() / "functions").glob("*/handler.py")}
    assert folders and set(handlers._handler_modules) == folders


def test_what_the_booth_loaded_at_start_is_not_walked_by_every_full_collection(monkeypatch) -> None:
    monkeypatch.setattr(handlers, "_handler_modules", {})
    gc.unfreeze()
    try:
        engine.warm_up_in_background().join(timeout=120)

        # The modules, moto's and botocore's models: frozen, so a full collection no longer walks them.
        assert gc.get_freeze_count() > 100_000
    finally:
        gc.unfreeze()


def test_the_definition_is_parsed_once_for_the_state_machine_and_all_its_runs() -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    moto_patches.install_patches()
    definition = engine.render_definition(engine.definition_path().read_text(), engine.LocalCloud().substitutions())
    created = AmazonStateLanguageParser.parse(definition)  # what create_state_machine does to validate it

    assert AmazonStateLanguageParser.parse(definition) is created  # what every execution does
    with pytest.raises(Exception, match="ASLParser"):
        AmazonStateLanguageParser.parse("{not a definition")


def test_moto_batch_is_loaded_only_when_used_and_then_works() -> None:
    """The engine keeps moto's Batch backend (and all of EC2's data) out of start-up; Batch itself still works."""
    import subprocess
    import sys

    script = (
        "import sys, boto3\n"
        "from moto import mock_aws\n"
        "from photobooth.local.engine import MOTO_CONFIG, LocalCloud\n"
        "with mock_aws(config=MOTO_CONFIG):\n"
        "    LocalCloud().provision()\n"
        "    assert 'moto.ec2' not in sys.modules, 'EC2 was imported at start-up'\n"
        "    batch = boto3.client('batch', region_name='us-east-1')\n"
        "    assert batch.describe_compute_environments()['computeEnvironments'] == []\n"
        "from moto.batch import batch_backends\n"
        "assert batch_backends['123456789012']['us-east-1'] is not None\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
