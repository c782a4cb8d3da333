"""Ensemble: the quantile-wise mean (or median) of several models' forecasts."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import pandas as pd

from forecasting.errors import DataError
from forecasting.models._common import check_fitted, check_horizon, split_series
from forecasting.quantiles import quantile_columns, sort_quantiles, validate_quantiles

__all__ = ["Ensemble", "combine_forecasts", "DEFAULT_MEMBERS"]

log = logging.getLogger(__name__)

DEFAULT_MEMBERS: tuple[str, ...] = ("ets", "theta", "lgbm")


def combine_forecasts(
    forecasts: Sequence[pd.DataFrame], quantiles: Sequence[float], *, how: str = "mean"
) -> pd.DataFrame:
    """Combine forecasts of the same series and dates quantile by quantile.

    Averaging the ``q``-quantiles of the members (Vincentization) gives a forecast distribution whose
    pinball loss is at most the members' average, by convexity, and usually well below the best member's,
    which is why combinations of ETS, ARIMA and Theta have been hard to beat since M3. ``how="median"``
    takes the member median instead (robust to one wild member, useful with many members).

    Rows are matched on ``unique_id, ds``; a row that only some members forecast (a member failed on
    a series) is combined over those members. The result is sorted by quantile row-wise (no crossing).
    The ``mean`` column is combined the same way, so it lies inside the combined band wherever it lies
    inside every member's (the mean and the median of numbers each between a lower and an upper bound
    lie between the mean, or the median, of the bounds); a member whose mean may leave its band (ETS,
    see :class:`forecasting.models.ETS`) carries that exception over. Non-negative member forecasts
    give non-negative combinations.

    Args:
        forecasts: Frames ``unique_id, ds, mean, p..`` as returned by the models' ``predict``.
        quantiles: The quantile levels of the columns to combine.
        how: ``"mean"`` or ``"median"``.

    Returns:
        A frame ``unique_id, ds, mean, p..`` in the order of the first forecast's rows (then new rows).

    Example:
        >>> a = pd.DataFrame({"unique_id": ["s"], "ds": [pd.Timestamp("2024-01-01")], "mean": [1.0],
        ...                   "p10": [0.0], "p90": [2.0]})
        >>> b = a.assign(mean=3.0, p10=2.0, p90=6.0)
        >>> combine_forecasts([a, b], [0.1, 0.9])[["mean", "p10", "p90"]].to_numpy().tolist()
        [[2.0, 1.0, 4.0]]
    """
    if how not in ("mean", "median"):
        raise DataError(f"how must be 'mean' or 'median'; got {how!r}")
    if not forecasts:
        raise DataError("combine_forecasts needs at least one forecast frame")
    qs = validate_quantiles(quantiles)
    cols = ["mean", *quantile_columns(qs)]
    keys = ["unique_id", "ds"]
    index = pd.MultiIndex.from_frame(pd.concat([f[keys] for f in forecasts], ignore_index=True)).unique()
    stack = np.stack(
        [f.set_index(keys)[cols].reindex(index).to_numpy(dtype=float) for f in forecasts], axis=0
    )
    reduce = np.nanmean if how == "mean" else np.nanmedian
    # Every row is in at least one member, so the all-NaN slice warning cannot occur.
    values = reduce(stack, axis=0)
    values[:, 1:] = sort_quantiles(values[:, 1:])
    out = index.to_frame(index=False)
    out["unique_id"] = out["unique_id"].astype(forecasts[0]["unique_id"].dtype)
    for j, col in enumerate(cols):
        out[col] = values[:, j]
    return out


class Ensemble:
    """Fit several registered models and combine their quantiles with :func:`combine_forecasts`.

    The ensemble is self-contained (``fit`` fits every member, ``predict`` combines them); code that
    already holds the members' forecasts, such as a backtest that scored them one by one, calls
    :func:`combine_forecasts` directly and skips the refits. A member that raises is left out with a
    log message, so one failing model never stops the batch; with no member left, ``DataError``.

    Args:
        members: Registered model names (``forecasting.models.MODELS``).
        how: ``"mean"`` (default) or ``"median"`` of the members' quantiles.
        member_params: Optional hyper-parameters per member name.
    """

    alias = "ensemble"
    # A global member (LightGBM) makes the whole ensemble depend on the set of series it is fitted on.
    is_global = True

    def __init__(
        self,
        members: Sequence[str] = DEFAULT_MEMBERS,
        *,
        how: str = "mean",
        member_params: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.members = tuple(members)
        self.how = how
        self.member_params = member_params

    def fit(self, df: pd.DataFrame, *, freq: str = "D", season_length: int = 7) -> Self:
        """Fit every member on the same history."""
        from forecasting.models import make_model

        if not self.members or "ensemble" in self.members:
            raise DataError(f"ensemble members must be other registered models; got {list(self.members)}")
        split_series(df)  # bad input is the caller's to fix: raise before any member swallows it
        params = self.member_params or {}
        self.models_: dict[str, Any] = {}
        for name in self.members:
            model = make_model(name, **params.get(name, {}))
            try:
                self.models_[name] = model.fit(df, freq=freq, season_length=season_length)
            except DataError:
                raise
            except Exception as exc:  # a failing member is dropped, the others still forecast
                log.warning("ensemble: member %s failed to fit and is left out: %s", name, exc)
        if not self.models_:
            raise DataError(f"every ensemble member failed to fit: {list(self.members)}")
        self.fitted_ = True
        return self

    def predict(self, h: int, quantiles: Sequence[float]) -> pd.DataFrame:
        """Combine the members' forecasts of ``h`` steps."""
        check_fitted(self, "models_")
        h = check_horizon(h)
        qs = validate_quantiles(quantiles)
        frames = []
        for name, model in self.models_.items():
            try:
                frames.append(model.predict(h, qs))
            except Exception as exc:  # same rule as in fit
                log.warning("ensemble: member %s failed to predict and is left out: %s", name, exc)
        if not frames:
            raise DataError(f"every ensemble member failed to predict: {list(self.models_)}")
        return combine_forecasts(frames, qs, how=self.how)
