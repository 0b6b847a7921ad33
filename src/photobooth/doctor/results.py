"""What every check answers, and how the CLI prints it."""

from __future__ import annotations

from dataclasses import dataclass

PASSED = "✔"
FAILED = "✘"


@dataclass(frozen=True)
class CheckResult:
    """One line of the report. ``fix`` says what the operator should do; it is set exactly when ``ok`` is false."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    @classmethod
    def passed(cls, name: str, detail: str) -> CheckResult:
        return cls(name, True, detail)

    @classmethod
    def failed(cls, name: str, detail: str, fix: str) -> CheckResult:
        return cls(name, False, detail, fix)

    def render(self) -> str:
        line = f"{PASSED if self.ok else FAILED} {self.name}: {self.detail}"
        if not self.ok:
            line += f"\n    fix: {self.fix}"
        return line


def client_error_code(error: Exception) -> str:
    """The service's error code of a botocore ``ClientError`` ("" for anything else)."""
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def client_error_message(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Message", "")) or str(error)
