"""``photobooth serve``, ``photobooth run`` and ``photobooth doctor``."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import warnings
from pathlib import Path
from typing import Any


def _settings_are_valid(command: str) -> bool:
    """A wrong PHOTOBOOTH_* setting (a theme list that is not JSON, a default theme that does not exist) is told in
    plain lines before anything starts, not as a traceback from deep inside."""
    from photobooth.config import settings_problem

    problem = settings_problem()
    if problem:
        indented = problem.replace("\n", "\n  ")
        print(f"photobooth {command}: the settings are not valid:\n  {indented}", file=sys.stderr)
    return problem is None


def _tell_offline_scenes() -> None:
    """Offline, a theme is painted as one of a few procedural scenes: say which stands in for a theme of the
    operator's own, so a custom theme is not silently painted as something else."""
    from photobooth.config import DEFAULT_THEMES, EXTRA_THEMES, get_settings
    from photobooth.models import OFFLINE_SCENES
    from photobooth.offline.scenes import scene_for

    built_in = {t.name for t in DEFAULT_THEMES + EXTRA_THEMES}
    for theme in get_settings().themes:
        if theme.name in built_in:
            continue
        how = "as it names" if theme.offline_scene else "chosen from its name and prompt; set offline_scene to choose"
        print(
            f"offline, theme {theme.name!r} is painted as the {scene_for(theme)!r} scene ({how}: "
            f"{', '.join(OFFLINE_SCENES)})",
            flush=True,
        )


def _serve(args: argparse.Namespace) -> int:
    from photobooth.local.server import BoothServer, default_data_dir

    if not _settings_are_valid("serve"):
        return 2

    lan_address = None
    if args.lan is not None:
        from photobooth.local.lan import lan_address as detect_lan_address

        try:
            lan_address = args.lan or detect_lan_address()
        except OSError as error:
            print(f"photobooth serve --lan: {error}", file=sys.stderr)
            return 2
    server = BoothServer(
        port=args.port, data_dir=Path(args.data) if args.data else default_data_dir(), lan_address=lan_address
    )
    # OpenCV's package init fails when a second thread imports it meanwhile (KeyError 'cv2.mat_wrapper', seen once
    # in a CI run: the warm-up thread loading the handlers while _tell_offline_scenes below imported the scenes).
    import cv2  # noqa: F401  (imported here, before the server starts the warm-up thread)

    server.start()  # a taken port ends the process with werkzeug's own message and exit code 1
    print(f"photobooth is ready: open {server.url}  (data in {server.data_dir}; Ctrl+C stops)", flush=True)
    if lan_address:
        print(
            f"phones on the local network open their pictures at {server.public_url} (the QR codes say so);\n"
            f"another booth pad on the network needs the booth key: {server.booth_key}",
            flush=True,
        )
    else:
        print("the QR codes open on this machine only: start with --lan for visitors' phones", flush=True)
    _tell_offline_scenes()

    def _stop(*_: object) -> None:
        raise KeyboardInterrupt

    # SIGTERM stops like Ctrl+C: work in flight gets a bounded time to finish (a second signal stops the wait), and
    # whatever is left is resumed at the next start with the same --data.
    signal.signal(signal.SIGTERM, _stop)
    with contextlib.suppress(KeyboardInterrupt):  # werkzeug itself swallows it; serve_forever just returns
        server.serve_forever()
    print(f"stopping: up to {server.drain_seconds:.0f}s for photos in progress (Ctrl+C again skips)", flush=True)
    try:
        summary = server.stop()
    except KeyboardInterrupt:
        summary = "stopped at once: unfinished requests are resumed at the next start with the same --data"
    print(summary or "stopped", flush=True)
    sys.stderr.flush()
    # Every write is already synced to --data. A normal interpreter exit would wait on, or abort in, the native code
    # (OpenCV, ONNX) of workflow threads still running; what they had not finished resumes at the next start.
    os._exit(0)


def _run(args: argparse.Namespace) -> int:
    from photobooth.local.batch import run_photos

    if not _settings_are_valid("run"):
        return 2
    _tell_offline_scenes()

    code = run_photos([Path(p) for p in args.photos], Path(args.out), themes=args.themes)
    sys.stdout.flush()
    sys.stderr.flush()
    # The results and every line are written. Python's own teardown of the embedded AWS and the models (a few
    # hundred thousand objects) took another 0.35-0.4 s before the prompt came back; as `serve` does, leave now.
    os._exit(code)


def _doctor(args: argparse.Namespace) -> int:
    from photobooth.doctor import run_doctor
    from photobooth.doctor.run import SessionClients

    return run_doctor(
        stack_name=args.stack, clients=SessionClients(args.region), photo=Path(args.photo) if args.photo else None
    )


def _erase(args: argparse.Namespace) -> int:
    from photobooth.erasure import AwsBooth, EraseError, LocalBooth, run_erase

    if not args.requests and not args.all:
        print("photobooth erase: name a request (its code, such as K7QF2M, or its id) or pass --all", file=sys.stderr)
        return 2
    if args.requests and args.all:
        print("photobooth erase: name requests or pass --all, not both", file=sys.stderr)
        return 2
    ask = input if sys.stdin.isatty() else None
    try:
        if args.stack:
            import boto3

            session = boto3.Session(region_name=args.region)
            if not session.region_name:
                print("photobooth erase: no AWS region: pass --region or set AWS_REGION", file=sys.stderr)
                return 2
            booth: Any = AwsBooth.from_stack(session, args.stack, retention_days=args.retention_days)
        else:
            from photobooth.local.server import default_data_dir

            data = Path(args.data) if args.data else default_data_dir()
            booth = LocalBooth(f"http://127.0.0.1:{args.port}", data)
        return run_erase(booth, args.requests, everything=args.all, assume_yes=args.yes, ask=ask)
    except EraseError as error:
        print(f"photobooth erase: {error}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="photobooth", description="The photobooth workflow on this machine.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the booth page and the API at http://127.0.0.1:PORT")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--data", help="folder for photos, results and status records (kept across restarts)")
    serve.add_argument(
        "--lan",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="also listen on this machine's local-network address (or ADDRESS), so that visitors' phones open the "
        "QR codes; there only the phone page, results and erasure are open, the rest needs the booth key",
    )
    serve.add_argument("--style", type=int, help="paint the backgrounds in style 0-25 (needs the [style] extra)")
    serve.add_argument(
        "--seed-compat",
        action="store_true",
        help="POST /upload answers the seed's {statusCode, body} envelope, for pads written against the seed's API",
    )
    serve.set_defaults(func=_serve)

    run = commands.add_parser("run", help="run the workflow on photo files and write the results to a folder")
    run.add_argument("photos", nargs="+", help="JPEG or PNG files, or folders of them")
    run.add_argument("--out", required=True, help="folder for photo_{stem}_{i}.jpeg results")
    run.add_argument("--themes", nargs="+", help="theme names (default: the configured default themes)")
    run.add_argument("--style", type=int, help="paint the backgrounds in style 0-25 (needs the [style] extra)")
    run.set_defaults(func=_run)

    doctor = commands.add_parser(
        "doctor",
        help="check a deployed booth with your AWS credentials (makes one real image per configured model)",
    )
    doctor.add_argument("--stack", default="Photobooth", help="CloudFormation stack name (default: Photobooth)")
    doctor.add_argument("--region", help="the stack's region (default: your AWS profile's)")
    doctor.add_argument("--photo", help="also run this JPEG/PNG portrait through the deployed API, as a pad does")
    doctor.set_defaults(func=_doctor, style=None)

    erase = commands.add_parser(
        "erase",
        help="erase one visitor's request (the code on their screen, or its id), or --all after the event",
        description="Erase requests as a visitor's own erasure does: the photo, every result and the status "
        "record, for good. Asks for confirmation (--yes skips it). Locally the booth must be running; with --stack "
        "it acts on the deployed stack with your AWS credentials.",
    )
    erase.add_argument("requests", nargs="*", help="short codes (K7QF2M) or request ids")
    erase.add_argument("--all", action="store_true", help="every request the booth holds")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    erase.add_argument("--port", type=int, default=8000, help="the local booth's port (default 8000)")
    erase.add_argument("--data", help="the local booth's --data folder (default: serve's default)")
    erase.add_argument("--stack", help="erase on this deployed CloudFormation stack instead of the local booth")
    erase.add_argument("--region", help="the stack's region (default: your AWS profile's)")
    erase.add_argument(
        "--retention-days",
        type=int,
        help="on AWS: how long the erased requests' tombstones stay (default: the stack's retention_days, from its "
        "RetentionDays output; 7 for a stack deployed without it)",
    )
    erase.set_defaults(func=_erase, style=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    from photobooth.local.memory import limit_malloc_arenas
    from photobooth.native_threads import limit_native_threads

    limit_malloc_arenas()  # first, before any thread starts
    limit_native_threads()  # before numpy is imported
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("werkzeug", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # moto logs every failed execution with its whole state; our own line per request says what matters.
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    # Powertools warns on every API call that records no metric; in Lambda that goes to the logs, here to the console.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    args = build_parser().parse_args(argv)
    if args.style is not None:
        os.environ["PHOTOBOOTH_OFFLINE_STYLE"] = str(args.style)
    if getattr(args, "seed_compat", False):
        os.environ["PHOTOBOOTH_SEED_COMPAT_ENVELOPE"] = "true"
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
