"""The ``Forecaster`` estimator: backtest several models, choose per series, forecast with quantiles."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any, Literal, Self

import numpy as np
import pandas as pd

from forecasting.automl import SELECT_MODES, Selection, model_order, select_models
from forecasting.backtest import splits
from forecasting.errors import DataError
from forecasting.frequency import is_auto, resolve_freq
from forecasting.horizon import check_backtest, check_horizon, max_horizon
from forecasting.load import LoadedSeries, check_season_length
from forecasting.models import MODELS, make_model
from forecasting.models.base import ForecastModel
from forecasting.models.ensemble import Ensemble, combine_forecasts
from forecasting.options import DEFAULT_MODELS
from forecasting.quantiles import DEFAULT_QUANTILES, quantile_columns, sort_quantiles, validate_quantiles
from forecasting.runner import Runner, auto_jobs, is_global
from forecasting.validation import ENDS, ValidSeries, validate_series

__all__ = ["DEFAULT_MODELS", "Forecaster", "SHORT_RULE"]

log = logging.getLogger(__name__)

# A series is short when it has fewer than SHORT_RULE * h periods: the horizon rule applied to it alone.
SHORT_RULE = 3


def _common_end(df: pd.DataFrame) -> bool:
    """Whether every series of a validated frame ends on the dataset's last date."""
    ends = df.groupby("unique_id", sort=False)["ds"].max()
    return bool((ends == ends.max()).all())


class Forecaster:
    """Backtest a set of models, choose the best per series (or one for all) and forecast quantiles.

    The workflow follows Amazon Forecast's AutoPredictor on a laptop: ``fit(df, h)`` validates the
    history, backtests every model on the last ``n_windows`` windows of ``h`` periods, scores them by
    mean weighted quantile loss (WQL) and chooses a model per series: by default the dataset's best
    candidate, unless the series' own best is clearly better (``select``; ties go to the simpler model).
    ``predict(h)`` refits the chosen models on the whole history and returns their forecasts. With ``h``
    omitted from ``fit``, the backtest runs at the first ``predict(h)``.

    Two kinds of series are handled by stated rules, listed in ``summary.json`` by
    :func:`~forecasting.export.write_run`:

    - **Ended series** (``ends="common"``, the default): a series whose last date is before the
      dataset's last period is filled with 0 up to it (in cost data a period without line items cost
      nothing) and forecast from the common end, so no forecast is dated at or before the dataset's last
      period; a stopped service is forecast near 0. A :class:`~forecasting.errors.DataWarning` gives the
      count; ``ended_`` lists them. ``ends="own"`` forecasts each series from its own last date instead.
    - **Short series**: fewer than ``3 * h`` periods (the horizon rule applied to the series alone).
      Their own backtest windows would train on less than ``2 * h`` periods, too little to judge a
      model by, so they are left out of the backtest and use the model chosen for the dataset (the best
      candidate over the other series), with ``basis = "short"`` in ``choices_``; ``short_`` lists them.

    Args:
        models: Model names from ``forecasting.models.MODELS`` and/or unfitted model objects (named by
            their ``alias``). Defaults to ``DEFAULT_MODELS``.
        quantiles: Quantile levels in (0, 1), increasing. Output columns are named ``p10, p50, p90``.
        freq: Frequency of the series (``D``, ``W``, ``MS``, ``QS``, ``h``), or ``"auto"`` (default) to infer
            it from the dates (:func:`~forecasting.frequency.infer_freq`).
        season_length: Periods per season; ``None`` (default) derives it from the frequency: 7 daily,
            52 weekly, 12 monthly, 4 quarterly, 24 hourly, 1 yearly. An explicit value wins.
        select: ``"auto"`` (default: the dataset's best model, switched on a series to that series' best
            candidate when it has at most 0.7x its WQL there), ``"series"`` (the lowest mean WQL per series)
            or ``"dataset"`` (one model for all, as Amazon Forecast); see
            :func:`forecasting.automl.select_models`.
        candidates: The models that may be chosen (names among ``models``); the others are backtested for
            the leaderboard only. ``None``: every model but the baselines ``naive`` and
            ``seasonal_naive``, which on one or two windows win many series by luck; they are chosen only
            when nothing else runs (:func:`forecasting.automl.default_candidates`).
        n_windows: Backtest windows; 0 skips the backtest and is allowed only with a single model.
        step_size: Periods between backtest cutoffs; defaults to ``h``.
        n_jobs: Worker processes for per-series models; ``None`` picks by the number of series.
        show_progress: Show tqdm progress bars over the series.
        ends: ``"common"`` (default) or ``"own"``: how series that stop before the dataset's last period
            are treated (see above).
        total_freq: Calendar periods of the bill totals: ``"auto"`` (default: months when the steps fit
            in them, else quarters, else Monday-Sunday weeks), ``M``, ``W``, ``Q`` or ``None``. The chosen
            models forecast through the end of the last period that ``h`` touches (at most ``h`` more
            steps, within the horizon rule), in one run: ``predict(h)`` returns the first ``h`` steps,
            ``predict(h, whole_periods=True)`` all of them (what :mod:`forecasting.totals` adds up).

    Attributes:
        history_: The validated history ``unique_id, ds, y``.
        dims_: One row per series with its dimension columns (``service``, ``account``...).
        freq_: The frequency, anchored on the data (``W-MON``).
        season_length_: The season length used (given, or derived from ``freq_``).
        ended_: ``unique_id, last_ds, filled``: series filled with 0 from their last date to the common end.
        short_: ``unique_id, periods, model``: series shorter than ``3 * h`` and the model they use (set
            with the choices, at the first ``fit(df, h)`` or ``predict(h)``).
        cv_: The backtest forecasts of every model (``unique_id, ds, cutoff, model, y``, quantiles, ``mean``).
        selection_: Scores, pooled results, choices, leaderboard (:class:`forecasting.automl.Selection`).
        choices_: ``unique_id, model, mean_wql, basis``: the model each series uses.
        total_freq_: The periods of the bill totals, or ``None`` (then ``totals_note_`` says why).
        timings_: Seconds spent per phase and model.

    Example:
        >>> ds = pd.date_range("2024-01-01", periods=56)
        >>> df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": [1.0, 2, 3, 4, 5, 6, 7] * 8})
        >>> fc = Forecaster(models=["naive", "seasonal_naive"]).fit(df, h=7)
        >>> fc.choices_["model"].tolist(), fc.predict(7)["p50"].tolist()
        (['seasonal_naive'], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    """

    def __init__(
        self,
        models: Sequence[str | ForecastModel] = DEFAULT_MODELS,
        quantiles: Sequence[float] = DEFAULT_QUANTILES,
        freq: str = "auto",
        season_length: int | None = None,
        select: Literal["auto", "series", "dataset"] = "auto",
        candidates: Sequence[str] | None = None,
        n_windows: int = 1,
        step_size: int | None = None,
        n_jobs: int | None = 1,
        show_progress: bool = False,
        ends: Literal["common", "own"] = "common",
        total_freq: str | None = "auto",
    ) -> None:
        self.models = models
        self.quantiles = quantiles
        self.freq = freq
        self.season_length = season_length
        self.select = select
        self.candidates = candidates
        self.n_windows = n_windows
        self.step_size = step_size
        self.n_jobs = n_jobs
        self.show_progress = show_progress
        self.ends = ends
        self.total_freq = total_freq

    # -- parameters -------------------------------------------------------------------------------------

    def _templates(self) -> dict[str, ForecastModel]:
        """Unfitted model objects by name, ordered simplest first."""
        if isinstance(self.models, str) or not len(self.models):
            raise DataError(
                f"models must be a non-empty list of names from {list(MODELS)}; got {self.models!r}"
            )
        out: dict[str, ForecastModel] = {}
        # Names given as strings are default-built registry models (an ensemble may reuse their forecasts).
        self._by_name = {spec for spec in self.models if isinstance(spec, str)}
        for spec in self.models:
            model = make_model(spec) if isinstance(spec, str) else spec
            name = spec if isinstance(spec, str) else str(getattr(spec, "alias", type(spec).__name__))
            if name in out:
                raise DataError(f"model name {name!r} appears twice; give each model a distinct alias")
            out[name] = model
        return {name: out[name] for name in model_order(list(out))}

    def _check_params(self) -> None:
        self.quantiles_ = validate_quantiles(self.quantiles)
        if self.select not in SELECT_MODES:
            raise DataError(f"select must be one of {list(SELECT_MODES)}; got {self.select!r}")
        if self.season_length is not None:
            check_season_length(self.season_length, "D")
        if self.ends not in ENDS:
            raise DataError(f"ends must be one of {list(ENDS)}; got {self.ends!r}")
        nw = self.n_windows
        if isinstance(nw, bool) or not isinstance(nw, int | np.integer) or nw < 0:
            raise DataError(f"n_windows must be a non-negative integer; got {nw!r}")
        self.models_ = self._templates()
        if self.candidates is not None:
            if isinstance(self.candidates, str) or not len(self.candidates):
                raise DataError(
                    f"candidates must be a non-empty list of model names; got {self.candidates!r}"
                )
            unknown = [name for name in self.candidates if name not in self.models_]
            if unknown:
                raise DataError(
                    f"candidates {unknown} are not among the models {list(self.models_)}; "
                    "add them to models or drop them from candidates"
                )
        if nw == 0 and len(self.models_) > 1:
            raise DataError(f"choosing among {len(self.models_)} models needs n_windows >= 1 backtest window")

    def _settings(self, freq: str, season_length: int) -> dict[str, Any]:
        return {"quantiles": self.quantiles_, "freq": freq, "season_length": season_length}

    def _validate(self, data: pd.DataFrame | LoadedSeries) -> tuple[ValidSeries, int]:
        """The validated series and the season length, from a frame or from :func:`load_series` output.

        Loaded series were validated already; they are checked again only when this estimator asks for
        something else: an explicit frequency other than theirs, or ``ends="common"`` on series loaded
        with ``ends="own"`` that do end early.
        """
        if not isinstance(data, LoadedSeries):
            valid = validate_series(data, freq=self.freq, ends=self.ends)
            return valid, check_season_length(self.season_length, valid.freq)
        first = data.valid.df["ds"].min()
        same_freq = is_auto(self.freq) or resolve_freq(str(self.freq), first) == data.freq
        same_ends = self.ends == data.ends or self.ends == "own" or _common_end(data.valid.df)
        valid = (
            data.valid
            if same_freq and same_ends
            else validate_series(data.df, freq=self.freq, ends=self.ends)
        )
        if self.season_length is None and valid.freq == data.freq:
            return valid, data.season_length
        return valid, check_season_length(self.season_length, valid.freq)

    def _runner(self, n_series: int) -> Runner:
        n_jobs = auto_jobs(n_series) if self.n_jobs is None else int(self.n_jobs)
        return Runner(n_jobs=max(n_jobs, 1), show_progress=self.show_progress)

    # -- public API -------------------------------------------------------------------------------------

    def fit(self, df: pd.DataFrame | LoadedSeries, h: int | None = None) -> Self:
        """Validate the history and, when ``h`` is given, backtest, choose and forecast ``h`` periods.

        Args:
            df: Long frame ``unique_id, ds, y`` (extra columns constant per series are kept as dims), or
                the output of :func:`forecasting.load_series` (used as validated there, with its
                frequency and season length unless this estimator sets them).
            h: Horizon of the backtest and the forecast. Without it that work waits for ``predict(h)``.

        Returns:
            ``self``.

        Raises:
            DataError: On invalid data or settings, or an ``h`` above a third of the history.
        """
        self._check_params()
        valid, self.season_length_ = self._validate(df)
        self.history_, self.dims_, self.freq_ = valid.df, valid.dims, valid.freq
        self.history_length_ = valid.history_length
        self.ended_ = valid.ended
        from forecasting.totals import resolve_total_freq

        # Before any backtest: a total_freq that cannot hold the steps must not cost the fit first.
        self.total_freq_, self.totals_note_ = resolve_total_freq(self.freq_, self.total_freq)
        if self.total_freq_ is not None and not _common_end(valid.df):
            n_ends = valid.df.groupby("unique_id")["ds"].max().nunique()
            self.total_freq_ = None
            self.totals_note_ = (
                f"the series end on {n_ends} different dates and are forecast from their own ends "
                "(ends='own', --ends own), so no period holds the same days of every series; the default "
                "--ends common gives totals"
            )
        self.short_ = pd.DataFrame({"unique_id": pd.Series(dtype="str"), "periods": pd.Series(dtype="int64"),
                                    "model": pd.Series(dtype="str")})  # fmt: skip
        self._valid = valid
        self.cv_: pd.DataFrame | None = None
        self.selection_: Selection | None = None
        self.choices_: pd.DataFrame | None = None
        self.timings_: dict[str, dict[str, float]] = {"backtest": {}, "forecast": {}}
        self._forecasts: dict[int, pd.DataFrame] = {}
        if h is not None:
            self.predict(h)
        return self

    def cross_validation(
        self, df: pd.DataFrame | LoadedSeries, h: int, n_windows: int = 1, step_size: int | None = None
    ) -> pd.DataFrame:
        """Backtest every model on the last ``n_windows`` windows of ``h`` periods of ``df``.

        Each window trains on each series up to its cutoff only (no look-ahead) and forecasts the next
        ``h`` periods; this does not change the fitted state.

        Args:
            df: Long frame ``unique_id, ds, y``.
            h: Periods forecast in each window; at most a third of the history.
            n_windows: Number of windows, ending at each series' last date.
            step_size: Periods between cutoffs; defaults to ``h``.

        Returns:
            ``unique_id, ds, cutoff, model, y``, one column per quantile and ``mean``, sorted by
            ``model, cutoff, unique_id, ds``.
        """
        self._check_params()
        valid, season_length = self._validate(df)
        timings: dict[str, float] = {}
        return self._backtest(valid, h, n_windows, step_size, timings, season_length)

    def predict(self, h: int, *, whole_periods: bool = False) -> pd.DataFrame:
        """Forecast ``h`` periods after each series' last date with its chosen model.

        Args:
            h: The horizon (also the backtest's, at the first call).
            whole_periods: Also return the steps after ``h`` that close its last calendar period
                (``total_freq``); they come from the same forecast, so the first ``h`` steps are the same.

        Returns:
            ``unique_id, ds, model``, one column per quantile (non-decreasing left to right) and ``mean``,
            sorted by ``unique_id, ds``.

        Raises:
            DataError: If called before ``fit`` or with an ``h`` above a third of the history.
        """
        if not hasattr(self, "history_"):
            raise DataError("this Forecaster is not fitted yet; call fit(df) before predict(h)")
        h = check_horizon(h, self.history_length_, self.freq_)
        if self.choices_ is None:
            self._choose(h)
        steps = self.closing_steps(h)
        if steps not in self._forecasts:
            self._forecasts[steps] = self._final(steps)
        full = self._forecasts[steps]
        if whole_periods or steps == h:
            return full.copy()
        return full[full.groupby("unique_id", sort=False).cumcount() < h].reset_index(drop=True)

    def closing_steps(self, h: int) -> int:
        """The steps that take ``h`` to the end of its last ``total_freq_`` period (see ``total_freq``)."""
        if self.total_freq_ is None:
            return h
        from forecasting.totals import closing_steps

        last = pd.Timestamp(self.history_["ds"].max())
        return closing_steps(last, self.freq_, h, self.total_freq_, max_horizon(self.history_length_))

    # -- internals --------------------------------------------------------------------------------------

    def _combined_members(self, name: str) -> tuple[str, ...] | None:
        """The members of an ensemble candidate whose own forecasts can simply be combined.

        An ensemble of default-built members that are candidates too needs no refit: its forecast is
        the quantile-wise combination of theirs (:func:`~forecasting.models.ensemble.combine_forecasts`),
        which is exactly what ``Ensemble.predict`` would return, at no extra cost.
        """
        model = self.models_[name]
        if not isinstance(model, Ensemble) or model.member_params:
            return None
        members = tuple(model.members)
        if members and all(m != name and m in self._by_name for m in members):
            return members
        return None

    def _columns(self, forecast: pd.DataFrame) -> pd.DataFrame:
        cols = ["unique_id", "ds", *quantile_columns(self.quantiles_), "mean"]
        return forecast[cols].astype({"unique_id": "str"})

    def _backtest(
        self,
        valid: ValidSeries,
        h: int,
        n_windows: int,
        step_size: int | None,
        timings: dict[str, float],
        season_length: int,
        history: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Backtest every model on ``history`` (default: every series of ``valid``)."""
        history = valid.df if history is None else history
        h = check_horizon(h, valid.history_length, valid.freq)
        step = h if step_size is None else step_size
        check_backtest(h, n_windows, step, valid.history_length)
        frames = []
        settings = self._settings(valid.freq, season_length)
        runner = self._runner(history["unique_id"].nunique())
        for split in splits(history, h, n_windows, step):
            raw: dict[str, pd.DataFrame] = {}
            for name, model in self.models_.items():
                start = time.perf_counter()
                members = self._combined_members(name)
                if members is not None:
                    parts = [raw[m] for m in members if m in raw]
                    how = model.how if isinstance(model, Ensemble) else "mean"
                    forecast = combine_forecasts(parts, self.quantiles_, how=how) if parts else None
                else:
                    forecast = runner.run(name, model, split.train, h, settings).forecast
                timings[name] = timings.get(name, 0.0) + time.perf_counter() - start
                if forecast is None:
                    continue
                raw[name] = got = self._columns(forecast)
                merged = split.valid[["unique_id", "ds", "cutoff", "y"]].merge(
                    got, on=["unique_id", "ds"], how="inner", validate="one_to_one"
                )
                frames.append(merged.assign(model=name))
        if not frames:
            raise DataError("every model failed in the backtest; see the warnings above for the errors")
        cols = ["unique_id", "ds", "cutoff", "model", "y", *quantile_columns(self.quantiles_), "mean"]
        cv = pd.concat(frames, ignore_index=True)[cols]
        return cv.sort_values(["model", "cutoff", "unique_id", "ds"], ignore_index=True)

    def _choose(self, h: int) -> None:
        ids = self.dims_["unique_id"]
        order = list(self.models_)
        lengths = self.history_.groupby("unique_id", sort=True).size()
        short = lengths[lengths < SHORT_RULE * h]
        if self.n_windows == 0:
            self.choices_ = pd.DataFrame(
                {"unique_id": ids, "model": order[0], "mean_wql": np.nan, "basis": "only"}
            )
            self._record_short(short)
            return
        # Short series are judged by the others: their own windows would train on under 2h periods.
        history = self.history_
        if len(short):
            history = history[~history["unique_id"].isin(short.index)]
        cv = self._backtest(self._valid, h, int(self.n_windows), self.step_size, self.timings_["backtest"],
                            self.season_length_, history)  # fmt: skip
        selection = select_models(
            cv, history=self.history_, quantiles=self.quantiles_, season_length=self.season_length_,
            select=self.select, candidates=self.candidates,
        )  # fmt: skip
        choices = selection.choices
        missing = ids[~ids.isin(choices["unique_id"])]
        if len(missing):
            # Short series, and series too short for any backtest window, get the model chosen for the
            # dataset.
            best = selection.anchor
            if best is None:
                allowed = selection.overall[selection.overall["model"].isin(selection.candidates)]
                ranked = (allowed if len(allowed) else selection.overall).sort_values(
                    "mean_wql", kind="stable"
                )
                best = str(ranked["model"].iloc[0])
            basis = np.where(missing.isin(short.index), "short", "dataset")
            extra = pd.DataFrame({"unique_id": missing, "model": best, "mean_wql": np.nan, "basis": basis})
            choices = pd.concat([choices, extra], ignore_index=True).sort_values(
                "unique_id", ignore_index=True
            )
            log.info("%d series were too short to backtest; they use %s", len(missing), best)
        self.cv_, self.selection_, self.choices_ = cv, selection, choices
        self._record_short(short)
        self.h_ = h

    def _record_short(self, short: pd.Series) -> None:
        assert self.choices_ is not None
        model = self.choices_.set_index("unique_id")["model"]
        self.short_ = pd.DataFrame(
            {
                "unique_id": pd.Series(short.index, dtype="str"),
                "periods": short.to_numpy(dtype="int64"),
                "model": model.reindex(short.index).to_numpy(dtype=object),
            }
        ).astype({"model": "str"})

    def _final(self, h: int) -> pd.DataFrame:
        assert self.choices_ is not None
        settings = self._settings(self.freq_, self.season_length_)
        chosen = {str(m): set(ids) for m, ids in self.choices_.groupby("model", sort=False)["unique_id"]}
        needed = {name: set(ids) for name, ids in chosen.items()}
        for name, ids in chosen.items():
            # An ensemble built from its members' forecasts needs those members on its series too.
            for member in self._combined_members(name) or ():
                needed.setdefault(member, set()).update(ids)
        forecasts: dict[str, pd.DataFrame] = {}
        runner = self._runner(len(self.choices_))
        for name, model in self.models_.items():
            if not needed.get(name):
                continue
            start = time.perf_counter()
            members = self._combined_members(name)
            if members is not None:
                parts = [forecasts[m] for m in members if m in forecasts]
                how = model.how if isinstance(model, Ensemble) else "mean"
                got = self._columns(combine_forecasts(parts, self.quantiles_, how=how)) if parts else None
            else:
                got = self._forecast_with(runner, name, model, needed[name], h, settings)
            self.timings_["forecast"][name] = time.perf_counter() - start
            if got is not None:
                forecasts[name] = got
        frames = [
            forecasts[name][forecasts[name]["unique_id"].isin(ids)].assign(model=name)
            for name, ids in chosen.items()
            if name in forecasts
        ]
        done = set().union(*(set(f["unique_id"]) for f in frames))
        left = set(self.choices_["unique_id"]) - done
        if left:
            # A chosen model that failed on the full history: the simplest model forecasts those series.
            name, model = next(iter(self.models_.items()))
            got = self._forecast_with(runner, name, model, left, h, settings, subset=True)
            if got is not None:
                frames.append(got.assign(model=name))
        if not frames:
            raise DataError("every chosen model failed on the full history; see the warnings above")
        out = pd.concat(frames, ignore_index=True)
        cols = quantile_columns(self.quantiles_)
        out[cols] = sort_quantiles(out[cols].to_numpy(dtype=float))
        out = out[["unique_id", "ds", "model", *cols, "mean"]]
        return out.sort_values(["unique_id", "ds"], ignore_index=True)

    def _forecast_with(
        self,
        runner: Runner,
        name: str,
        model: ForecastModel,
        ids: set[str],
        h: int,
        settings: dict[str, Any],
        subset: bool | None = None,
    ) -> pd.DataFrame | None:
        """Forecast the series ``ids`` with one model; a global model still learns from every series."""
        subset = not is_global(model) if subset is None else subset
        wanted = self.history_["unique_id"].isin(ids)
        train = self.history_[wanted] if subset else self.history_
        result = runner.run(name, model, train, h, settings)
        if result.forecast is None:
            return None
        got = self._columns(result.forecast)
        return got[got["unique_id"].isin(ids)]
