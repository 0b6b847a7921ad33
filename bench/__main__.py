"""``python -m bench [--quick] [--runs N]``: the image path against its baselines, then the end-to-end figures
(N times), then each speed target against the median of all the end-to-end samples.

``python -m bench cutout [--quick]``: the cut-out against hand-made reference masks (bench/cutout.py).

``python -m bench event --visitors-per-minute V --quota-rpm Q --minutes M [--themes N] [--seed S]``: a simulated
event at the image models' quota (bench/event.py)."""

import argparse
import os
import sys
import time

from bench import cold_start, end_to_end, image_path, print_memory, segment_step, targets


def main() -> int:
    if sys.argv[1:2] == ["cutout"]:
        return cutout_main(sys.argv[2:])
    if sys.argv[1:2] == ["event"]:  # python -m bench event ...: a simulated event (bench/event.py)
        from bench import event

        return event.main(sys.argv[2:])
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller inputs and fewer rounds, for a smoke run")
    parser.add_argument("--runs", type=int, default=3, help="how often the end-to-end figures are taken (default 3)")
    args = parser.parse_args()
    runs = 1 if args.quick else max(1, args.runs)
    load_at_start = os.getloadavg()[0]  # before the bench adds its own
    started = time.perf_counter()
    print("== image path (CPU time of this process, both sides interleaved)", flush=True)
    for line in image_path.run(args.quick):
        print(line, flush=True)
    print("== segment step on one core with the function's memory: the selfie model vs GrabCut", flush=True)
    for line in segment_step.run(args.quick):
        print(line, flush=True)
    print("== print-quality generate step: peak memory (a fresh process each)", flush=True)
    for line in print_memory.run(args.quick):
        print(line, flush=True)
    samples = targets.Samples()
    for run in range(1, runs + 1):
        print(f"== end to end (fresh processes), run {run} of {runs}", flush=True)
        for line in end_to_end.run(args.quick, samples):
            print(line, flush=True)
    for line in targets.lines(samples, runs, load_at_start):
        print(line, flush=True)
    print("\n".join(cold_start.run(args.quick)), flush=True)  # issue 21: the cold start a visitor meets on AWS
    print(f"({time.perf_counter() - started:.0f} s{', --quick' if args.quick else ''})", flush=True)
    return 0


def cutout_main(arguments: list[str]) -> int:
    """``python -m bench cutout``: the cut-out against the hand-made reference masks (issue 22)."""
    from bench import cutout

    parser = argparse.ArgumentParser(prog="python -m bench cutout", description=cutout.__doc__)
    parser.add_argument("--quick", action="store_true", help="without the 12 MP photo")
    args = parser.parse_args(arguments)
    for line in cutout.run(large=not args.quick):
        print(line, flush=True)
    return 0


sys.exit(main())
