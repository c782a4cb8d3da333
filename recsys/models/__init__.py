"""Recommenders, one module each, and the ``MODELS`` registry used by the CLI."""
