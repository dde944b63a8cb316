"""``python -m fastlr``: the ``fastlr`` command."""

import sys

from .cli import main

sys.exit(main())
