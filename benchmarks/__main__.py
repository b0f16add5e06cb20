"""``python -m benchmarks [--quick] [--jobs …]``: run the benchmarks and print the tables."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
