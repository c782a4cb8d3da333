"""``python -m recsys`` runs the ``recommend`` command line."""

from recsys.cli import main

raise SystemExit(main())
