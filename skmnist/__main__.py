"""``python -m skmnist``: the same as the ``skmnist`` console script."""

import sys

from .cli import main

sys.exit(main())
