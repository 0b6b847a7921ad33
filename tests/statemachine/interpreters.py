"""Two Step Functions interpreters that run the cases of statemachine/mock-config.json (Step Functions Local's
MockConfigFile format): LocalStack's, in its own process and virtual environment, and moto's, in this process.

Both start every execution of a run at once and then wait for all of them, so a run takes as long as its slowest
case (the retry back-offs really wait on both interpreters), not the sum of them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from photobooth.local.engine import LocalCloud, definition_path, project_root, render_definition

STATE_MACHINE_NAME = "photobooth"
REGION = "us-east-1"
ACCOUNT_ID = "000000000000"
MOCK_CONFIG = project_root() / "statemachine" / "mock-config.json"
LOCALSTACK_PYTHON = project_root() / ".venv-localstack" / "bin" / "python"
LOCALSTACK_LAUNCHER = Path(__file__).parent / "localstack_env" / "launch.py"
# The upload event every case starts from: the rule's input for photo/mock-request-1/visitor.jpg.
EVENT = {
    "version": "0",
    "id": "mock-event",
    "detail-type": "Object Created",
    "source": "aws.s3",
    "time": "2026-11-26T10:00:00Z",
    "detail": {"bucket": {"name": "photobooth-local"}, "object": {"key": "photo/mock-request-1/visitor.jpg"}},
}
# The longest case waits out real retry back-offs (Record the result: 3 retries of 2, 4 and 8 s at most); the
# rest is room for a loaded machine (an answer to every case takes ~20 s idle, 80 s with 2 cores shared 7 ways).
RUN_TIMEOUT_SECONDS = 240.0


def mock_config() -> dict:
    return json.loads(MOCK_CONFIG.read_text())


def test_cases() -> dict[str, dict[str, str]]:
    return mock_config()["StateMachines"][STATE_MACHINE_NAME]["TestCases"]


def rendered_definition() -> str:
    return render_definition(definition_path().read_text(), LocalCloud().substitutions())


@dataclass
class Outcome:
    """How one execution of one case ended, as DescribeExecution and GetExecutionHistory tell it."""

    status: str
    error: str | None
    cause: str | None
    entered: list[str] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.status} {self.error!r} {(self.cause or '')[:300]!r} entered={self.entered}"


def _client(endpoint_url: str | None) -> Any:
    return boto3.client(
        "stepfunctions",
        region_name=REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 2}),
    )


def start_cases(sfn: Any, cases: list[str]) -> dict[str, str]:
    """Create the state machine and start one execution per case (``<arn>#<case>``): case -> execution ARN."""
    arn = sfn.create_state_machine(
        name=STATE_MACHINE_NAME,
        definition=rendered_definition(),
        roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/DummyRole",
    )["stateMachineArn"]
    return {
        case: sfn.start_execution(
            stateMachineArn=f"{arn}#{case}", name=f"{case}-{time.time_ns()}", input=json.dumps(EVENT)
        )["executionArn"]
        for case in cases
    }


def wait_for_cases(sfn: Any, started: dict[str, str]) -> dict[str, Outcome]:
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    outcomes: dict[str, Outcome] = {}
    for case, execution in started.items():
        while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{case} still running after {RUN_TIMEOUT_SECONDS:.0f} s")
            time.sleep(0.2)
        events = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
        outcomes[case] = Outcome(
            status=described["status"],
            error=described.get("error"),
            cause=described.get("cause"),
            entered=[e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e],
            events=events,
        )
    return outcomes


def run_cases(sfn: Any, cases: list[str]) -> dict[str, Outcome]:
    return wait_for_cases(sfn, start_cases(sfn, cases))


# --- moto's interpreter -------------------------------------------------------------------------------------------


_invocation_lock = threading.Lock()


def _moto_mock_test_case(case: str) -> Any:
    """moto carries the interpreter's MockConfigFile support but never loads a file: build its test case here."""
    from moto.stepfunctions.parser.mocking import mock_config as moto_mocks

    config = mock_config()
    state_responses = []
    for state, response_name in config["StateMachines"][STATE_MACHINE_NAME]["TestCases"][case].items():
        responses: list[Any] = []
        for attempts, answer in config["MockedResponses"][response_name].items():
            start, end = moto_mocks._parse_mocked_response_range(attempts)
            if "Return" in answer:
                responses.append(moto_mocks.MockedResponseReturn(start, end, answer["Return"]))
            else:
                throw = answer["Throw"]
                responses.append(moto_mocks.MockedResponseThrow(start, end, throw["Error"], throw["Cause"]))
        state_responses.append(moto_mocks.StateMockedResponses(state, response_name, responses))
    return moto_mocks.MockTestCase(STATE_MACHINE_NAME, case, state_responses)


@contextlib.contextmanager
def moto_interpreter() -> Iterator[Any]:
    """moto's ASL interpreter, with ``StartExecution`` on ``<arn>#<case>`` running that case's mocks."""
    from moto import mock_aws
    from moto.stepfunctions.parser.backend import execution as moto_execution
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    starting = threading.local()
    original_start = StepFunctionsParserBackend.start_execution

    def start_execution(self: Any, state_machine_arn: str, *args: Any, **kwargs: Any) -> Any:
        arn, _, case = state_machine_arn.partition("#")
        starting.mock_test_case = _moto_mock_test_case(case) if case else None
        try:
            return original_start(self, arn, *args, **kwargs)
        finally:
            starting.mock_test_case = None

    def start_worker(self: Any) -> ExecutionWorker:
        return ExecutionWorker(
            evaluation_details=moto_execution.EvaluationDetails(
                aws_execution_details=self._get_start_aws_execution_details(),
                execution_details=self.get_start_execution_details(),
                state_machine_details=self.get_start_state_machine_details(),
            ),
            exec_comm=self._get_start_execution_worker_comm(),
            cloud_watch_logging_session=self._cloud_watch_logging_session,
            activity_store=self._activity_store,
            mock_test_case=getattr(starting, "mock_test_case", None),
        )

    from moto.stepfunctions.parser.asl.eval.environment import Environment

    from tests.statemachine.localstack_env import aws_rules

    def next_mocked_response(self: Any) -> Any:
        # moto picks a state's mocked answer by the try's RetryCount, so every Map iteration gets answer "0";
        # Step Functions Local (and LocalStack) number each invocation of the state in the execution, Map
        # iterations included (https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html).
        test_case = self.mock_test_case
        responses = test_case.state_mocked_responses[self.next_state_name].mocked_responses
        with _invocation_lock:
            counts = test_case.__dict__.setdefault("_invocations", {})
            number = counts[self.next_state_name] = counts.get(self.next_state_name, -1) + 1
        if number >= len(responses):
            raise RuntimeError(f"no mocked answer {number} for {self.next_state_name!r}")
        return responses[number]

    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    class NoWait:
        """moto's retry back-offs are not waited out (LocalStack's, running meanwhile, are)."""

        @staticmethod
        def sleep(seconds: float) -> None:
            pass

    config = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
    with (
        mock_aws(config=config),  # type: ignore[arg-type]
        _patched(StepFunctionsParserBackend, "start_execution", start_execution),
        _patched(moto_execution.Execution, "_get_start_execution_worker", start_worker),
        _patched(Environment, "get_current_mocked_response", next_mocked_response),
        _patched(retrier_decl, "time", NoWait),
    ):
        undo_aws_rules = aws_rules.apply("moto.stepfunctions.parser")
        try:
            yield _client(None)
        finally:
            undo_aws_rules()


@contextlib.contextmanager
def _patched(owner: Any, name: str, replacement: Callable) -> Iterator[None]:
    original = owner.__dict__[name]
    setattr(owner, name, replacement)
    try:
        yield
    finally:
        setattr(owner, name, original)


# --- LocalStack's interpreter -------------------------------------------------------------------------------------


class InterpreterUnavailable(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LocalStack:
    endpoint: str
    log: Path
    process: subprocess.Popen

    def client(self) -> Any:
        return _client(self.endpoint)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else "(no log)"

    def listening_addresses(self) -> set[str]:
        """The addresses the kernel has a listening TCP socket on for this LocalStack's port (IPv4 and IPv6), read
        from /proc/<pid>/net/tcp{,6}: what LocalStack really bound, whatever its configuration asked for."""
        port = int(self.endpoint.rsplit(":", 1)[1])
        found = set()
        for table, width in (("tcp", 4), ("tcp6", 16)):
            path = Path(f"/proc/{self.process.pid}/net/{table}")
            for line in path.read_text().splitlines()[1:] if path.exists() else []:
                local, state = line.split()[1], line.split()[3]
                address, _, hex_port = local.partition(":")
                if state == "0A" and int(hex_port, 16) == port:  # 0A: TCP_LISTEN
                    found.add(_address(bytes.fromhex(address), width))
        return found


def _address(raw: bytes, width: int) -> str:
    """/proc/net/tcp's address: 32-bit words in the host's (little-endian) byte order."""
    import ipaddress

    words = b"".join(raw[i : i + 4][::-1] for i in range(0, width, 4))
    return str(ipaddress.ip_address(words))


@contextlib.contextmanager
def localstack_interpreter(start_timeout: float = 90.0) -> Iterator[LocalStack]:
    """LocalStack's Step Functions in host mode (no Docker), listening on 127.0.0.1 only, every file it writes
    under a temporary folder, with statemachine/mock-config.json. Stopped when the block ends."""
    if not LOCALSTACK_PYTHON.exists():
        raise InterpreterUnavailable(
            f"{LOCALSTACK_PYTHON} is missing: `make install-dev` creates it (LocalStack needs Python >= 3.13)"
        )
    home = Path(tempfile.mkdtemp(prefix="photobooth-localstack-"))
    port = _free_port()
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TMPDIR": str(home),
        "SFN_MOCK_CONFIG": str(MOCK_CONFIG),
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "SERVICES": "stepfunctions",
        # these machines have /.dockerenv: without this LocalStack writes under /var/lib, /etc and /usr/lib
        "OVERRIDE_IN_DOCKER": "0",
        "FILESYSTEM_ROOT": str(home / "root"),
        "DISABLE_EVENTS": "1",  # no analytics calls home
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "SKIP_INFRA_DOWNLOADS": "1",
        "DNS_ADDRESS": "0",  # no DNS server of its own
        "LOCALSTACK_HOST": f"127.0.0.1:{port}",
    }
    log = home / "localstack.log"
    try:
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [str(LOCALSTACK_PYTHON), str(LOCALSTACK_LAUNCHER)],
                cwd=home,
                env=environment,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopping it stops whatever it started
            )
        running = LocalStack(endpoint=f"http://127.0.0.1:{port}", log=log, process=process)
        try:
            _wait_until_ready(running, start_timeout)
            yield running
        finally:
            _stop(process)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to LocalStack's process group (its own session), SIGKILL if it lingers: nothing it holds needs a
    clean shutdown, its files go with the temporary folder."""
    for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_until_ready(running: LocalStack, timeout: float) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise InterpreterUnavailable(
                f"LocalStack exited with {running.process.returncode} while starting:\n{running.log_text()[-4000:]}"
            )
        health = f"{running.endpoint}/_localstack/health"
        with contextlib.suppress(OSError, ValueError), urllib.request.urlopen(health, timeout=2) as answer:
            if json.loads(answer.read())["services"].get("stepfunctions") in {"available", "running"}:
                return
        time.sleep(0.3)
    raise InterpreterUnavailable(f"LocalStack did not answer within {timeout:.0f} s:\n{running.log_text()[-4000:]}")
