"""Names that the ``recommend`` command line offers and the library checks.

They live here, in a module that imports nothing, because the parsers show them as ``choices``: building
a parser must not import pandas, scikit-learn or implicit to learn a list of names (the library modules
that own each concept import them from here and re-export them).
"""

from __future__ import annotations

__all__ = ["EXCLUDE", "SPLIT_NAMES"]

# Which items a user's list leaves out (see recsys.filters.Filters).
EXCLUDE = ("auto", "converted", "seen", "none")

# The evaluation splits of recsys.split.SPLITS, in its order.
SPLIT_NAMES: tuple[str, ...] = ("personalize", "leave-last", "temporal")
