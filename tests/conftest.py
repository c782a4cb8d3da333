"""Hypothesis profiles for the whole suite, chosen by the HYPOTHESIS_PROFILE environment variable.

``ci`` (the default) runs a moderate number of examples per property so the suite stays fast on two
cores; ``fuzz`` (``make fuzz``) runs many more, without a deadline, to dig for rare reader failures;
``dev`` is a quick look while editing.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__: list[str] = []

# Shared: readers touch the disk and DuckDB, so per-example times vary on a loaded machine.
_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}

settings.register_profile("ci", max_examples=40, derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("fuzz", max_examples=500, print_blob=True, **_COMMON)
settings.register_profile("dev", max_examples=10, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
