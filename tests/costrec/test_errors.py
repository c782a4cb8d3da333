"""Both packages' errors share one base class, so a caller of either catches one type."""

from __future__ import annotations

import pytest

import forecasting
import recsys
from costrec.errors import CostrecError, CostrecWarning


@pytest.mark.parametrize("package", [forecasting, recsys])
def test_package_errors_are_costrec_errors_and_value_errors(package) -> None:
    assert issubclass(package.DataError, CostrecError)
    assert issubclass(package.DataError, ValueError)
    assert issubclass(package.DataWarning, CostrecWarning)
    with pytest.raises(CostrecError, match="bad"):
        raise package.DataError("bad")


def test_the_two_packages_keep_distinct_classes() -> None:
    assert forecasting.DataError is not recsys.DataError
    with pytest.raises(recsys.DataError):
        raise recsys.DataError("x")
    assert not issubclass(forecasting.DataError, recsys.DataError)
