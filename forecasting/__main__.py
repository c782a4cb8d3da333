"""``python -m forecasting`` runs the ``forecast`` command line."""

from forecasting.cli import main

raise SystemExit(main())
