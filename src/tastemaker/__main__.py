"""``python -m tastemaker``: the same as the ``tastemaker`` command."""

import sys

from tastemaker.cli import main

sys.exit(main())
