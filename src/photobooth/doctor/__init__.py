"""``photobooth doctor``: prove, with the operator's credentials, that a deployed booth will make pictures.

Each check is a plain function that takes injected boto3 clients (and, for ``--photo``, an HTTP client) and
returns a :class:`~photobooth.doctor.results.CheckResult`; :func:`~photobooth.doctor.run.run_doctor` prints one
line per check and turns them into the exit code.
"""

from photobooth.doctor.results import CheckResult
from photobooth.doctor.run import run_doctor

__all__ = ["CheckResult", "run_doctor"]
