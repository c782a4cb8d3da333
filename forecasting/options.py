"""Names and defaults that the ``forecast`` command line offers and the library checks.

They live here, in a module that imports nothing, because the parsers show them in ``--help`` and as
``choices``: building a parser must not import pandas, DuckDB, statsmodels or LightGBM to learn a list of
names (the library modules that own each concept import them from here and re-export them).
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_DIMS",
    "DEFAULT_MODELS",
    "ENDS",
    "FORMAT_NAMES",
    "IMPACT_FLOOR",
    "IMPACT_SHARE",
    "MAX_PANELS",
    "MEASURES",
    "MODEL_NAMES",
    "SELECT_MODES",
]

# The names of the forecasting.models.MODELS registry, in its order: simplest to most complex, so AutoML
# breaks ties in favour of the model that comes first.
MODEL_NAMES: tuple[str, ...] = ("naive", "seasonal_naive", "theta", "ets", "arima", "lgbm", "ensemble")

# The models `forecast run` tries when --models is not given, simplest first. The two baselines are
# references for the leaderboard ("x times seasonal naive"), not candidates (see automl.BASELINES). Theta
# and ETS are the per-series statistical models, LightGBM the global one, and the ensemble averages the
# quantiles of those three (no extra fit). On held-out data the per-series choice among the last four beat
# the choice among the statistical models alone: daily cost series 0.63-0.76x seasonal naive's WQL
# instead of 0.75-0.81x, M3 monthly WQL 0.090 instead of 0.100 (benchmarks/README.md). ARIMA is slower and
# not better on those sets; add it with --models.
DEFAULT_MODELS: tuple[str, ...] = ("naive", "seasonal_naive", "theta", "ets", "lgbm", "ensemble")

# How AutoML chooses (see forecasting.automl.select_models).
SELECT_MODES: tuple[str, ...] = ("auto", "series", "dataset")

# How series that stop before the dataset's last period are treated (see validation.validate_series).
ENDS = ("common", "own")

# The dimensions of a prepared series when --dims is not given.
DEFAULT_DIMS = ("service", "account")

# The billing export formats, as forecasting.billing.detect.FORMATS names them (each format's
# declaration in forecasting/billing holds its name; tests/test_startup.py checks the two agree).
FORMAT_NAMES: tuple[str, ...] = ("cur_legacy", "cur2", "focus")

# The cost measures a series can add up, with the sentence `forecast prepare --help` shows for each
# (the SQL of each is in forecasting.measures).
MEASURES: dict[str, str] = {
    "unblended": "unblended cost, as charged at the time of usage (FOCUS: BilledCost)",
    "net_unblended": "unblended cost after discounts (CUR lineItem/NetUnblendedCost; FOCUS: BilledCost)",
    "amortized": "amortized cost: commitments spread over the usage they cover (FOCUS: EffectiveCost)",
    "effective": "same as amortized (the FOCUS name)",
    "billed": "invoiced cost: net unblended when present, else unblended (FOCUS: BilledCost)",
    "blended": "blended cost: usage at the average rate of the accounts of an AWS Organization (CUR "
    "lineItem/BlendedCost, CUR 2.0 line_item_blended_cost; not in FOCUS)",
}

# The default minimum impact of an anomaly: this share of the series' typical period, and never below the
# floor (a cent), so that a series of zeros does not alert on a micro-dollar charge.
IMPACT_SHARE = 0.25
IMPACT_FLOOR = 0.01

# Charts of many series become unreadable; a lookup plot shows at most this many panels.
MAX_PANELS = 6
