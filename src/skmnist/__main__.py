"""``python -m skmnist``: the same as the ``skmnist`` console script."""

import sys

from .cli import console_main

if __name__ == "__main__":  # importing the module (e.g. doctest collection) runs nothing
    sys.exit(console_main())
