#!/usr/bin/env python3
"""CDK entry point.

- ``python infra/app.py [-c config=my-event.json] [-c layerDir=...]`` synthesizes to cdk.out/ (make synth),
  with no CDK CLI and no network.
- ``cd infra && npx aws-cdk deploy [-c config=...]`` uses cdk.json, which runs this file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from photobooth_infra.app_factory import SettingsFileError, build_app


def _context(pairs: list[str]) -> dict[str, str]:
    context = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"-c expects key=value, got {pair!r}")
        context[key] = value
    return context


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    try:
        app, _ = build_app(context=_context(args.context))
    except SettingsFileError as error:  # the operator's file: say what is wrong with it, not where Python was
        indented = str(error).replace("\n", "\n  ")
        print(f"infra/app.py: the deployment's settings: {indented}", file=sys.stderr)
        raise SystemExit(2) from None
    app.synth()


if __name__ == "__main__":
    main()
