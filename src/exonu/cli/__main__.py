"""``python -m exonu.cli``."""

import sys

from . import main

sys.exit(main())
