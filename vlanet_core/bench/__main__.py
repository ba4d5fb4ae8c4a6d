"""``python -m vlanet_core.bench``: see the package doc."""

import sys

from vlanet_core.bench.run import main

sys.exit(main())
