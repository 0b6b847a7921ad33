"""Starts LocalStack's runtime (``python -m localstack.runtime.main``) with the pinned corrections of
``aws_rules.py``. Run by tests/statemachine/interpreters.py with .venv-localstack's Python."""

import sys
from importlib.metadata import version

import aws_rules  # this file's folder is sys.path[0]

PINNED_LOCALSTACK = "2026.3.0"

if __name__ == "__main__":
    found = version("localstack-core")
    if found != PINNED_LOCALSTACK:
        sys.exit(
            f"aws_rules.py is written for localstack-core {PINNED_LOCALSTACK}, found {found}: check it still fits"
        )
    aws_rules.apply("localstack.services.stepfunctions")
    from localstack.runtime.main import main

    main()
