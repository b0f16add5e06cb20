"""``python -m benchmarks [--quick]``: run every benchmark and print the ratio tables."""

from __future__ import annotations

import argparse

from . import lecture


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few steps, for a smoke run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per peer (median)")
    args = parser.parse_args()
    print(lecture.report(quick=args.quick, repeats=args.repeats))


if __name__ == "__main__":
    main()
