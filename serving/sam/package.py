#!/usr/bin/env python3
"""Build the SAM endpoint's model artefact: ``model.tar.gz`` = checkpoint + inference code + segment-anything.

    python serving/sam/package.py --checkpoint sam_vit_b_01ec64.pth --out model.tar.gz
    aws s3 cp model.tar.gz s3://my-artefacts/photobooth/sam/model.tar.gz

Download the checkpoint for the chosen ``sam.model_type`` (vit_b, vit_l or vit_h) from the Segment Anything
project first. segment-anything is pure Python and is vendored into ``code/lib`` so that the endpoint can run
with network isolation (the container installs nothing at start-up); torch, torchvision, numpy and Pillow come
with the PyTorch inference container.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEGMENT_ANYTHING = "segment-anything==1.0"


def package(checkpoint: Path, out: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        lib = Path(tmp) / "lib"
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(lib), SEGMENT_ANYTHING],
            check=True,
        )
        with tarfile.open(out, "w:gz") as archive:
            archive.add(checkpoint, arcname="sam.pth")
            archive.add(HERE / "inference.py", arcname="code/inference.py")
            archive.add(lib, arcname="code/lib")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("model.tar.gz"))
    args = parser.parse_args()
    print(package(args.checkpoint, args.out))


if __name__ == "__main__":
    main()
