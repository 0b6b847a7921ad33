"""``python -m bench [--quick]``: the image path against its baselines, then the end-to-end figures."""

import argparse
import sys
import time

from bench import cold_start, end_to_end, image_path, print_memory


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller inputs and fewer rounds, for a smoke run")
    args = parser.parse_args()
    started = time.perf_counter()
    print("== image path (CPU time of this process, both sides interleaved)", flush=True)
    for line in image_path.run(args.quick):
        print(line, flush=True)
    print("== print-quality generate step: peak memory (a fresh process each)", flush=True)
    for line in print_memory.run(args.quick):
        print(line, flush=True)
    print("== end to end (fresh processes)", flush=True)
    for line in end_to_end.run(args.quick):
        print(line, flush=True)
    print("\n".join(cold_start.run(args.quick)), flush=True)  # issue 21: the cold start a visitor meets on AWS
    print(f"({time.perf_counter() - started:.0f} s{', --quick' if args.quick else ''})", flush=True)
    return 0


sys.exit(main())
