"""``python -m benchmarks [--quick] [--jobs …]``: run the benchmarks and print the tables; the
exit status is 1 when the user-paths gate fails (``benchmarks.user_paths``: the 2× rule)."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
