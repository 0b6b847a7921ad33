"""Starts LocalStack's runtime (``python -m localstack.runtime.main``) with the pinned corrections of
``aws_rules.py``, listening on the loopback address only. Run by tests/statemachine/interpreters.py with
.venv-localstack's Python."""

import sys
from importlib.metadata import version

import aws_rules  # this file's folder is sys.path[0]

PINNED_LOCALSTACK = "2026.3.0"


def listen_on_loopback_only() -> None:
    """LocalStack 2026.3.0's gateway opens ``TCP4ServerEndpoint(reactor, port)`` without the host of
    GATEWAY_LISTEN ("TODO: interface = host?" in localstack/runtime/server/twisted.py), so it listens on 0.0.0.0.
    Every IPv4 endpoint this process opens without an interface gets 127.0.0.1."""
    from twisted.internet import endpoints

    any_interface = endpoints.TCP4ServerEndpoint

    class LoopbackTCP4ServerEndpoint(any_interface):
        def __init__(self, reactor, port, backlog=50, interface=""):
            super().__init__(reactor, port, backlog, interface or "127.0.0.1")

    endpoints.TCP4ServerEndpoint = LoopbackTCP4ServerEndpoint


if __name__ == "__main__":
    found = version("localstack-core")
    if found != PINNED_LOCALSTACK:
        sys.exit(
            f"aws_rules.py is written for localstack-core {PINNED_LOCALSTACK}, found {found}: check it still fits"
        )
    aws_rules.apply("localstack.services.stepfunctions")
    listen_on_loopback_only()
    from localstack.runtime.main import main

    main()
