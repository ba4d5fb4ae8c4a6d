"""Entry point of ``python -m vlanet_core.evaluation`` (see ``vlanet_core.evaluation.cli``)."""

from vlanet_core.evaluation.cli import main

raise SystemExit(main())
