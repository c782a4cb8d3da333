"""Real-data evaluation splits and simple reference recommenders for the recommendation benchmarks.

The data sets are read in place from the shared data folder (``../shared/data`` next to the repository,
or ``$COSTREC_SHARED``); nothing is copied into the repository (licences). Each builder returns a
:class:`RealSplit` of plain frames: the training files exactly as ``recommend train`` should receive them,
the held-out targets, the test users and every (user, item) pair of the training input, so the same split
can be scored through the command lines and through the in-process references below.

Data sets:
    * :func:`movielens` (``ratings/ml-latest-small``), protocol ``"random"`` (20% of each user's liked
      movies, seeded) or ``"personalize"`` (Amazon Personalize's offline protocol); liked = rating >= 4.
    * :func:`jobs` (``jobs-views-dev``): leave the last new job out, with a catalog of every job.
    * :func:`synthetic`: the committed synthetic board (``data/jobs``), global temporal split.

References (fit in-process, one list per test user, ``user_id, rank, item_id``):
    * :func:`popularity`: most users first.
    * :func:`plain_als`: implicit's ALS, 64 factors, 15 iterations, defaults otherwise, binary matrix.
    * :func:`tfidf_profile`: TF-IDF of the item text, user profile = mean of the rows of the user's items.

:func:`score` turns lists into per-user metrics (``metrics.frame.rank_scores``) with a bootstrap interval
of the mean (``metrics.compare.lift``).

Example (needs the shared data)::

    split = movielens("random")
    recs = plain_als(split.liked, split.test_users, k=10, exclude=split.seen)
    print(score(recs, split.targets, k=10, metric="ndcg_at_k", users=split.test_users))
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from metrics.compare import lift
from metrics.frame import catalog_coverage_score, rank_scores

__all__ = [
    "PROTOCOLS",
    "RealSplit",
    "Score",
    "count_seen",
    "coverage",
    "jobs",
    "movielens",
    "plain_als",
    "popularity",
    "score",
    "shared_data",
    "synthetic",
    "tfidf_profile",
]

ROOT = Path(__file__).resolve().parents[1]
PROTOCOLS = ("random", "personalize")
LIKED = 4.0  # MovieLens ratings at or above this are positives (the and Personalize's threshold)
SEED = 0
# Job text fields of the real job board, in the order they are joined for TF-IDF.
JOB_TEXT = ("title", "position", "company", "city", "state_name", "state", "industry")
SYNTHETIC_TEXT = ("title", "company", "industry", "city", "state")


@dataclass(frozen=True)
class RealSplit:
    """One evaluation split, as files for the command lines plus what scoring needs.

    Attributes:
        name: Short name, e.g. ``"movielens-random"``.
        train: Training events exactly as written for ``recommend train`` (string ids; ``timestamp``;
            ``rating`` for MovieLens, ``event_type`` for the synthetic board).
        items: Item metadata and catalog (``item_id`` + features), passed as ``--items`` to train and batch.
        users: User metadata (``user_id`` + features) for ``--users`` of train, or ``None``.
        targets: Held-out ``user_id, item_id`` pairs, none of which is in ``seen``.
        test_users: Users to serve (sorted strings): every user with a target.
        seen: Every distinct ``user_id, item_id`` of ``train``, whatever its rating or event type: what
            ``--exclude seen`` must remove.
        liked: Distinct positive ``user_id, item_id`` pairs of ``train`` (MovieLens: rating >= 4; views and
            events otherwise): the binary matrix of the collaborative references.
        train_args: Extra ``recommend train`` flags the data needs (``--value-col rating --min-value 4``).
        batch_args: Extra ``recommend batch`` flags (``--as-of`` of a temporal split).
        metric: Headline per-user metric column of :func:`metrics.frame.rank_scores` (``ndcg_at_k``...).
        k: Headline cut-off.
        text_cols: Item columns joined for :func:`tfidf_profile`.
        notes: Counts describing the split (users, targets, share of targets nobody viewed...).
        open_items: Items that may be recommended at evaluation time when that is fewer than ``items``
            (the synthetic board's postings not expired at the cutoff), else ``None``.
    """

    name: str
    train: pd.DataFrame
    items: pd.DataFrame
    users: pd.DataFrame | None
    targets: pd.DataFrame
    test_users: np.ndarray
    seen: pd.DataFrame
    liked: pd.DataFrame
    train_args: tuple[str, ...] = ()
    batch_args: tuple[str, ...] = ()
    metric: str = "ndcg_at_k"
    k: int = 10
    text_cols: tuple[str, ...] = ()
    notes: dict[str, Any] = field(default_factory=dict)
    open_items: np.ndarray | None = None

    @property
    def catalog(self) -> np.ndarray:
        """Item ids that may be recommended: :attr:`open_items`, else every item of :attr:`items`."""
        if self.open_items is not None:
            return self.open_items
        return self.items["item_id"].astype(str).to_numpy()


@dataclass(frozen=True)
class Score:
    """A per-user metric and its mean with a bootstrap interval.

    Attributes:
        metric: Metric column, e.g. ``"ndcg_at_k"``.
        k: Cut-off.
        per_user: Metric per test user (index ``user_id``); a user without a list scores 0.
        mean: Mean over the users.
        low: Lower end of the bootstrap interval of the mean.
        high: Upper end.
    """

    metric: str
    k: int
    per_user: pd.Series
    mean: float
    low: float
    high: float

    def __str__(self) -> str:
        return (
            f"{self.metric.replace('_at_k', '')}@{self.k} {self.mean:.4f} [{self.low:.4f}, {self.high:.4f}]"
        )


# --------------------------------------------------------------------------------------------- data paths


def shared_data() -> Path:
    """The shared data folder: ``$COSTREC_SHARED`` (``shared`` or its ``data``), else ``../shared/data``.

    Raises:
        FileNotFoundError: When the folder does not exist.
    """
    env = os.environ.get("COSTREC_SHARED")
    base = Path(env) if env else ROOT.parent / "shared"
    folder = base / "data" if (base / "data").is_dir() else base
    if not folder.is_dir():
        raise FileNotFoundError(
            f"shared data folder {folder} not found; put the shared data next to the repository "
            "(../shared/data) or set COSTREC_SHARED to the shared folder"
        )
    return folder


def _data_file(*parts: str) -> Path:
    path = shared_data().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; the benchmark reads it from the shared data folder")
    return path


def _pairs(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["user_id", "item_id"]].drop_duplicates().reset_index(drop=True)


def _sorted_users(targets: pd.DataFrame) -> np.ndarray:
    return np.sort(targets["user_id"].unique().astype(object))


# --------------------------------------------------------------------------------------------- MovieLens


def _movielens_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ratings (string ids, float rating, epoch-second timestamp) and movies (title, genres as words)."""
    ratings = pd.read_csv(_data_file("ratings", "ml-latest-small", "ratings.csv"))
    ratings = pd.DataFrame(
        {
            "user_id": ratings["userId"].astype(str),
            "item_id": ratings["movieId"].astype(str),
            "rating": ratings["rating"].astype(float),
            "timestamp": ratings["timestamp"].astype(np.int64),
        }
    )
    movies = pd.read_csv(_data_file("ratings", "ml-latest-small", "movies.csv"))
    items = pd.DataFrame(
        {
            "item_id": movies["movieId"].astype(str),
            "title": movies["title"],
            # "Adventure|Animation" -> "Adventure Animation": words a text model can match.
            "genres": movies["genres"].str.replace("|", " ", regex=False),
        }
    )
    return ratings, items


def _random_holdout(liked: pd.DataFrame, fraction: float, min_liked: int, seed: int) -> pd.Series:
    """Mask of liked rows held out: a seeded random ``fraction`` (at least one) per user with enough rows."""
    rng = np.random.default_rng(seed)
    # A random key per row, drawn in a fixed (user, item) order so the draw does not depend on file order.
    ordered = liked.sort_values(["user_id", "item_id"], kind="stable")
    key = pd.Series(rng.random(len(ordered)), index=ordered.index)
    rank = key.groupby(ordered["user_id"]).rank(method="first") - 1
    size = ordered.groupby("user_id")["user_id"].transform("size")
    n_hold = np.maximum(1, np.round(fraction * size))
    held = (size >= min_liked) & (rank < n_hold)
    return held.reindex(liked.index)


def _personalize_holdout(
    liked: pd.DataFrame, test_fraction: float, target_fraction: float, seed: int
) -> pd.Series:
    """Mask of liked rows held out: the newest ``target_fraction`` (at least one) of a random user share."""
    rng = np.random.default_rng(seed)
    users = np.sort(liked["user_id"].unique().astype(object))
    n_test = max(1, round(test_fraction * len(users)))
    test = rng.choice(users, size=n_test, replace=False)
    # Equal timestamps keep the file's order (MovieLens: by movie id), as recsys.split does.
    ordered = liked.sort_values(["user_id", "timestamp"], kind="stable")
    position = ordered.groupby("user_id").cumcount()
    size = ordered.groupby("user_id")["user_id"].transform("size")
    n_targets = np.maximum(1, np.round(target_fraction * size))
    held = ordered["user_id"].isin(test) & (position >= size - n_targets)
    return held.reindex(liked.index)


def movielens(protocol: str = "random", *, seed: int = SEED) -> RealSplit:
    """MovieLens ml-latest-small, liked = rating >= 4, under one of two protocols.

    * ``"random"``: every user with at least 5 liked movies holds out a seeded random 20% of them
      (at least one); all those users are test users.
    * ``"personalize"``: Amazon Personalize's offline protocol: a seeded 10% of the users with a liked movie
      are test users; each holds out the newest 10% of their liked ratings (at least one).

    The training file keeps every rating row (with its ``rating``) except the held-out ones, so it is
    trained with ``--value-col rating --min-value 4`` and a movie rated below 4 still counts as seen.

    Args:
        protocol: ``"random"`` or ``"personalize"``.
        seed: Seed of the hold-out draw.

    Returns:
        The split; metric NDCG@10.

    Raises:
        ValueError: On an unknown protocol.
        FileNotFoundError: When the shared data is absent.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}; got {protocol!r}")
    ratings, items = _movielens_frames()
    liked = ratings[ratings["rating"] >= LIKED]
    if protocol == "random":
        held = _random_holdout(liked, fraction=0.2, min_liked=5, seed=seed)
    else:
        held = _personalize_holdout(liked, test_fraction=0.1, target_fraction=0.1, seed=seed)
    held_index = held.index[held.to_numpy(dtype=bool)]
    train = ratings.drop(index=held_index).reset_index(drop=True)
    targets = _pairs(ratings.loc[held_index])
    train_liked = train[train["rating"] >= LIKED]
    return RealSplit(
        name=f"movielens-{protocol}",
        train=train,
        items=items,
        users=None,
        targets=targets,
        test_users=_sorted_users(targets),
        seen=_pairs(train),
        liked=_pairs(train_liked),
        train_args=("--value-col", "rating", "--min-value", "4"),
        metric="ndcg_at_k",
        k=10,
        text_cols=("title", "genres"),
        notes={
            "protocol": protocol,
            "ratings": len(ratings),
            "liked ratings": len(liked),
            "test users": int(targets["user_id"].nunique()),
            "targets": len(targets),
            "training rows": len(train),
        },
    )


# --------------------------------------------------------------------------------------------- job board


def _read_raw(name: str) -> pd.DataFrame:
    """A jobs-views-dev file as text, with the literal 'NA' and empty cells as missing values."""
    frame = pd.read_csv(_data_file("jobs-views-dev", name), dtype=str, keep_default_na=False)
    frame = frame.apply(lambda column: column.str.strip())
    return frame.mask(frame.isin(["", "NA"]))


def _utc_naive(values: pd.Series) -> pd.Series:
    """'2014-12-12 20:12:35 UTC' -> naive UTC timestamps (unparseable -> NaT)."""
    return pd.to_datetime(values, utc=True, errors="coerce").dt.tz_convert(None)


def _job_items(views: pd.DataFrame) -> pd.DataFrame:
    """One row per job of the data: its text fields, ``city`` and ``state`` named as the users' columns."""
    columns = {
        "Job.ID": "item_id",
        "Title": "title",
        "Position": "position",
        "Company": "company",
        "City": "city",
        "State.Name": "state_name",
        "State.Code": "state",
        "Industry": "industry",
    }
    items = views[list(columns)].rename(columns=columns)
    return items.drop_duplicates("item_id", keep="last").sort_values("item_id").reset_index(drop=True)


def _joined(frame: pd.DataFrame, columns: Sequence[str], name: str) -> pd.Series:
    """Per applicant, the non-missing values of ``columns`` joined with '; ' (distinct, in file order)."""
    long = frame.melt(id_vars="Applicant.ID", value_vars=list(columns), value_name=name)
    long = long[["Applicant.ID", name]].dropna().drop_duplicates()
    return long.groupby("Applicant.ID", sort=False)[name].agg("; ".join)


def _job_users(views: pd.DataFrame, experience: pd.DataFrame, interest: pd.DataFrame) -> pd.DataFrame:
    """One row per applicant of any file: positions of interest, experience text, latest city and state."""
    ids = pd.Index(
        pd.concat([views["Applicant.ID"], experience["Applicant.ID"], interest["Applicant.ID"]]).unique(),
        name="user_id",
    ).sort_values()
    users = pd.DataFrame(index=ids)
    users["positions_of_interest"] = _joined(interest, ["Position.Of.Interest"], "positions_of_interest")
    users["experience"] = _joined(experience, ["Position.Name", "Job.Description"], "experience")
    # Most recent position with a city: latest Start.Date (a missing date counts as oldest), file order last.
    located = experience.dropna(subset=["City"]).assign(
        _start=lambda f: pd.to_datetime(f["Start.Date"], errors="coerce")
    )
    located = located.sort_values("_start", na_position="first", kind="stable")
    latest = located.groupby("Applicant.ID").tail(1).set_index("Applicant.ID")
    users["city"] = latest["City"]
    users["state"] = latest["State.Code"]
    return users.reset_index()


def jobs() -> RealSplit:
    """Real job-board views, leave the last new job out, with a catalog of every job of the data.

    Each applicant's views are ordered by ``View.Start``; applicants with at least 3 distinct jobs hold out
    the job they discovered last. Training events are every other view (repeat views of the other jobs
    included). The catalog (``items``) holds every job of the files, including jobs nobody viewed in the
    training events; ``users`` holds every applicant of any file with their own text.

    Returns:
        The split; metric MRR@25. ``notes["targets nobody viewed"]`` is the share of targets that no
        training event touches (about four in five).

    Raises:
        FileNotFoundError: When the shared data is absent.
    """
    raw = _read_raw("Job_Views.csv")
    experience = _read_raw("Experience.csv")
    interest = _read_raw("Positions_Of_Interest.csv")
    views = pd.DataFrame(
        {
            "user_id": raw["Applicant.ID"],
            "item_id": raw["Job.ID"],
            "timestamp": _utc_naive(raw["View.Start"]),
        }
    )
    views = views.sort_values(["user_id", "timestamp", "item_id"], kind="stable")
    first = views.drop_duplicates(["user_id", "item_id"], keep="first")
    n_jobs = first.groupby("user_id")["item_id"].transform("size")
    last = first[n_jobs >= 3].groupby("user_id").tail(1)
    targets = _pairs(last)
    held = pd.MultiIndex.from_frame(views[["user_id", "item_id"]]).isin(pd.MultiIndex.from_frame(targets))
    train = views[~held].reset_index(drop=True)
    train = train.assign(timestamp=train["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    items = _job_items(raw)
    unviewed = ~targets["item_id"].isin(train["item_id"])
    return RealSplit(
        name="jobs",
        train=train,
        items=items,
        users=_job_users(raw, experience, interest),
        targets=targets,
        test_users=_sorted_users(targets),
        seen=_pairs(train),
        liked=_pairs(train),
        metric="mrr_at_k",
        k=25,
        text_cols=JOB_TEXT,
        notes={
            "protocol": "leave-last-new-job-out",
            "views": len(views),
            "training views": len(train),
            "test users": len(targets),
            "catalog jobs": len(items),
            "jobs without a training view": int((~items["item_id"].isin(train["item_id"])).sum()),
            "targets nobody viewed": float(unviewed.mean()),
        },
    )


# --------------------------------------------------------------------------------------------- synthetic


def synthetic(*, target_fraction: float = 0.1) -> RealSplit:
    """The committed synthetic job board (``data/jobs``), global temporal split, as in bench_recsys.

    Events from the ``1 - target_fraction`` time quantile on are held out; their (user, item) pairs not in
    the training events are the targets (cold users and new jobs included). The batch runs ``--as-of``
    the cutoff so postings expired by then are not recommended.

    Args:
        target_fraction: Share of the newest events held out.

    Returns:
        The split; metric MRR@25.
    """
    folder = ROOT / "data" / "jobs"
    events = pd.read_csv(folder / "events.csv", dtype=str)
    stamps = pd.DatetimeIndex(pd.to_datetime(events["timestamp"]))
    nanoseconds = np.quantile(stamps.as_unit("ns").asi8, 1 - target_fraction)
    cutoff = pd.Timestamp(int(nanoseconds), unit="ns")
    held = np.asarray(stamps >= cutoff)
    train = events[~held].reset_index(drop=True)
    seen = _pairs(train)
    pending = _pairs(events[held])
    known = pd.MultiIndex.from_frame(pending).isin(pd.MultiIndex.from_frame(seen))
    targets = pending[~known].reset_index(drop=True)
    users = pd.read_csv(folder / "users.csv", dtype=str)
    items = pd.read_csv(folder / "jobs.csv", dtype=str)
    warm = targets["user_id"].isin(train["user_id"])
    # What `recommend batch --as-of` keeps: postings not expired at the cutoff (to the second, as passed).
    as_of = cutoff.floor("s")
    expired = pd.to_datetime(items["expires_at"], errors="coerce") < as_of
    return RealSplit(
        name="synthetic",
        train=train,
        items=items,
        users=users,
        targets=targets,
        test_users=_sorted_users(targets),
        seen=seen,
        liked=seen,
        batch_args=("--as-of", as_of.strftime("%Y-%m-%d %H:%M:%S")),
        metric="mrr_at_k",
        k=25,
        text_cols=SYNTHETIC_TEXT,
        notes={
            "protocol": "temporal (newest 10% of events)",
            "cutoff": str(cutoff),
            "test users": int(targets["user_id"].nunique()),
            "cold test users": int(targets.loc[~warm, "user_id"].nunique()),
            "targets": len(targets),
            "targets nobody viewed": float((~targets["item_id"].isin(train["item_id"])).mean()),
            "open postings": int((~expired).sum()),
        },
        open_items=items.loc[~expired.to_numpy(), "item_id"].to_numpy(),
    )


# --------------------------------------------------------------------------------------------- references


def _top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column ids of each row's ``k`` best finite scores, best first (ties: lower column first); -1 pads."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < scores.shape[1] else None
    if part is None:
        part = np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
    top = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -top), axis=1)
    ids = np.take_along_axis(part, order, axis=1)
    top = np.take_along_axis(top, order, axis=1)
    return np.where(np.isfinite(top), ids, -1), top


def _lists(users: np.ndarray, item_ids: np.ndarray, ids: np.ndarray, scores: np.ndarray) -> pd.DataFrame:
    """``user_id, rank, item_id, score`` from per-user column ids (-1 = empty slot, dropped)."""
    rows, cols = np.nonzero(ids >= 0)
    return pd.DataFrame(
        {
            "user_id": users[rows],
            "rank": cols + 1,
            "item_id": item_ids[ids[rows, cols]],
            "score": scores[rows, cols],
        }
    )


def _matrix(pairs: pd.DataFrame, users: pd.Index, items: pd.Index) -> sp.csr_matrix:
    """Binary ``(users, items)`` CSR of the pairs; a pair with an id outside the indexes is dropped."""
    rows = users.get_indexer(pd.Index(pairs["user_id"].astype(str)))
    cols = items.get_indexer(pd.Index(pairs["item_id"].astype(str)))
    ok = (rows >= 0) & (cols >= 0)
    data = np.ones(int(ok.sum()), dtype=np.float32)
    matrix = sp.csr_matrix((data, (rows[ok], cols[ok])), shape=(len(users), len(items)))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def _rank(
    scores: np.ndarray,
    user_ids: np.ndarray,
    item_ids: np.ndarray,
    exclude: sp.csr_matrix,
    k: int,
    catalog: Sequence[str] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Mask each user's excluded items and items outside ``catalog``, keep the top ``k``, return the lists."""
    scores = scores.astype(np.float64, copy=True)
    r, c = exclude.nonzero()
    scores[r, c] = -np.inf
    if catalog is not None:
        scores[:, ~np.isin(item_ids, np.asarray(catalog, dtype=object).astype(str))] = -np.inf
    ids, top = _top_k(scores, k)
    return _lists(user_ids, item_ids, ids, top)


def _excluded(
    train: pd.DataFrame, exclude: pd.DataFrame | None, users: pd.Index, items: pd.Index
) -> sp.csr_matrix:
    """What a reference never recommends: the user's training pairs, plus ``exclude`` when given."""
    pairs = train if exclude is None else pd.concat([_pairs(train), _pairs(exclude)])
    return _matrix(pairs, users, items)


def popularity(
    train: pd.DataFrame,
    users: Sequence[str] | np.ndarray,
    k: int,
    *,
    exclude: pd.DataFrame | None = None,
    catalog: Sequence[str] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Items with the most distinct training users first, without the user's own training items.

    Args:
        train: Training ``user_id, item_id`` pairs (repeats count once).
        users: Users to serve.
        k: List length.
        exclude: More ``user_id, item_id`` pairs never to recommend (e.g. :attr:`RealSplit.seen`).
        catalog: Items that may be recommended; defaults to the training items.

    Returns:
        ``user_id, rank, item_id, score`` (score = number of users).
    """
    pairs = _pairs(train.astype({"user_id": str, "item_id": str}))
    counts = pairs["item_id"].value_counts()
    item_index = pd.Index(
        np.asarray(catalog if catalog is not None else counts.index, dtype=object).astype(str)
    )
    user_ids = np.asarray(users, dtype=object).astype(str)
    user_index = pd.Index(user_ids)
    base = counts.reindex(item_index, fill_value=0).to_numpy(dtype=np.float64)
    scores = np.broadcast_to(base, (len(user_ids), len(item_index)))
    return _rank(
        scores, user_ids, item_index.to_numpy(), _excluded(pairs, exclude, user_index, item_index), k
    )


def plain_als(
    train_liked_binary: pd.DataFrame,
    users: Sequence[str] | np.ndarray,
    k: int,
    *,
    exclude: pd.DataFrame | None = None,
    catalog: Sequence[str] | np.ndarray | None = None,
    factors: int = 64,
    iterations: int = 15,
    random_state: int = 0,
) -> pd.DataFrame:
    """Untuned implicit ALS on the binary user-item matrix: the issue's "plain ALS" reference.

    ``AlternatingLeastSquares(factors=64, iterations=15, random_state=0)`` with implicit's other defaults
    (regularization 0.01, alpha 1, conjugate gradient), fit on a 0/1 matrix, scored over every training
    item. Users without a training row get no list (plain ALS cannot place them).

    Args:
        train_liked_binary: Positive training ``user_id, item_id`` pairs (repeats count once).
        users: Users to serve.
        k: List length.
        exclude: More pairs never to recommend (e.g. movies rated below 4, which are not in the matrix).
        catalog: Items that may be recommended (e.g. postings still open); defaults to every training item.
        factors: Latent factors. Defaults to 64.
        iterations: ALS sweeps. Defaults to 15.
        random_state: Seed of the factor initialisation. Defaults to 0.

    Returns:
        ``user_id, rank, item_id, score``.
    """
    pairs = _pairs(train_liked_binary.astype({"user_id": str, "item_id": str}))
    user_index = pd.Index(np.sort(pairs["user_id"].unique()))
    item_index = pd.Index(np.sort(pairs["item_id"].unique()))
    matrix = _matrix(pairs, user_index, item_index)
    # implicit warns (when the model is built) and slows down when BLAS threads compete with its own.
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(factors=factors, iterations=iterations, random_state=random_state)
        model.fit(matrix, show_progress=False)
    wanted = np.asarray(users, dtype=object).astype(str)
    known = wanted[user_index.get_indexer(wanted) >= 0]
    rows = user_index.get_indexer(known)
    scores = np.asarray(model.user_factors)[rows] @ np.asarray(model.item_factors).T
    known_index = pd.Index(known)
    excluded = _excluded(pairs, exclude, known_index, item_index)
    return _rank(scores, known, item_index.to_numpy(), excluded, k, catalog)


def tfidf_profile(
    train: pd.DataFrame,
    items: pd.DataFrame,
    users: Sequence[str] | np.ndarray,
    k: int,
    *,
    text_cols: Sequence[str] = JOB_TEXT,
    exclude: pd.DataFrame | None = None,
    catalog: Sequence[str] | np.ndarray | None = None,
) -> pd.DataFrame:
    """TF-IDF content reference: cosine between each item's text and the mean of the user's items' rows.

    Every item of ``items`` is a candidate (new items too); items the user has in ``train`` (or
    ``exclude``) are not recommended. Users without a training item get no list.

    Args:
        train: Training ``user_id, item_id`` pairs (repeats count once).
        items: Catalog: ``item_id`` and the text columns.
        users: Users to serve.
        k: List length.
        text_cols: Item columns joined into one document (missing ones are skipped). Defaults to the
            real job board's title, position, company, city, state name, state code, industry.
        exclude: More pairs never to recommend.
        catalog: Items that may be recommended (e.g. postings still open); defaults to all of ``items``.
            Every item's text still feeds the profiles.

    Returns:
        ``user_id, rank, item_id, score``.
    """
    texts = items.drop_duplicates("item_id").astype({"item_id": str})
    columns = [c for c in text_cols if c in texts.columns]
    text = texts[columns].fillna("").astype(str).agg(" ".join, axis=1)
    matrix = TfidfVectorizer().fit_transform(text)  # rows are L2-normalized
    item_index = pd.Index(texts["item_id"])
    pairs = _pairs(train.astype({"user_id": str, "item_id": str}))
    wanted = np.asarray(users, dtype=object).astype(str)
    history = _matrix(pairs, pd.Index(wanted), item_index)
    has = np.asarray(history.sum(axis=1)).ravel() > 0
    # The mean of the user's rows, normalized: the cosine ranking is the same as with the plain mean.
    profiles = normalize(history[has] @ matrix)
    scores = (profiles @ matrix.T).toarray()
    served = wanted[has]
    excluded = _excluded(pairs, exclude, pd.Index(served), item_index)
    return _rank(scores, served, item_index.to_numpy(), excluded, k, catalog)


# --------------------------------------------------------------------------------------------- scoring


def score(
    recs: pd.DataFrame,
    targets: pd.DataFrame,
    k: int,
    metric: str,
    *,
    users: Sequence[str] | np.ndarray | None = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> Score:
    """Per-user metric of top-k lists against the targets, with a 95% bootstrap interval of the mean.

    Args:
        recs: ``user_id, rank, item_id`` lists (e.g. ``recommend batch`` output or a reference).
        targets: Held-out ``user_id, item_id`` pairs.
        k: Cut-off.
        metric: A column of :func:`metrics.frame.rank_scores`: ``ndcg_at_k``, ``mrr_at_k``,
            ``precision_at_k``, ``recall_at_k`` or ``hit_rate_at_k``.
        users: Users to score (default: every user with a target); their order is the index order.
        n_boot: Bootstrap resamples. Defaults to 1000.
        seed: Bootstrap seed; the same seed resamples the same users for every model. Defaults to 0.

    Returns:
        A :class:`Score`; a user without a list scores 0.
    """
    recs = recs.astype({"user_id": str, "item_id": str})
    targets = targets.astype({"user_id": str, "item_id": str})
    table = rank_scores(recs, targets, k=k)
    if metric not in table.columns or metric in ("user_id", "n_targets"):
        raise ValueError(f"metric must be a rank_scores column such as 'ndcg_at_k'; got {metric!r}")
    values = table.set_index("user_id")[metric]
    if users is not None:
        values = values.reindex(np.asarray(users, dtype=object).astype(str))
        if values.isna().any():
            missing = values.index[values.isna()][:3].tolist()
            raise ValueError(f"users {missing} have no target; score only users with a target")
    values = values.astype(np.float64)
    # The difference against a zero baseline is the mean itself: lift's paired bootstrap gives its interval.
    result = lift(values.to_numpy(), np.zeros(len(values)), n_boot=n_boot, seed=seed)
    return Score(metric, k, values, result.diff, result.diff_ci[0], result.diff_ci[1])


def count_seen(recs: pd.DataFrame, seen: pd.DataFrame, k: int | None = None) -> int:
    """Number of list slots (within the top ``k`` when given) holding an item the user had in training."""
    top = recs if k is None else recs[recs["rank"] <= k]
    keys = pd.MultiIndex.from_frame(top[["user_id", "item_id"]].astype(str))
    return int(keys.isin(pd.MultiIndex.from_frame(seen[["user_id", "item_id"]].astype(str))).sum())


def coverage(recs: pd.DataFrame, catalog: Sequence[str] | np.ndarray, k: int) -> float:
    """Share of the catalog that appears in some top-``k`` list (``metrics`` catalog coverage)."""
    top = recs.loc[recs["rank"] <= k, "item_id"].astype(str)
    return catalog_coverage_score(top, np.asarray(catalog, dtype=object).astype(str))
