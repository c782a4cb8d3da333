"""What every fitted recommender knows about its training data: id maps, the user-item matrix, metadata."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.dataset import Dataset, exclude_for
from recsys.errors import DataError
from recsys.index import IdIndex
from recsys.interactions import aggregate_events
from recsys.metadata import FeatureKinds, date_column, infer_kinds

__all__ = ["Context", "load_csr", "save_csr"]


def save_csr(matrix: sp.csr_matrix, path: Path) -> None:
    """Write a CSR matrix as plain arrays in ``.npz`` (read back without pickle)."""
    np.savez(
        path, data=matrix.data, indices=matrix.indices, indptr=matrix.indptr, shape=np.array(matrix.shape)
    )


def load_csr(path: Path) -> sp.csr_matrix:
    """Read a matrix written by :func:`save_csr`."""
    with np.load(path, allow_pickle=False) as z:
        return sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))


def _aligned(meta: pd.DataFrame | None, index: IdIndex, key: str) -> pd.DataFrame | None:
    """Metadata with one row per index row (empty rows for ids without metadata)."""
    if meta is None:
        return None
    out = (
        meta.drop_duplicates(key, keep="last")
        .set_index(key)
        .reindex(pd.Index(index.ids, name=key).astype("str"))
    )
    return out.reset_index()


@dataclass
class Context:
    """Fitted state shared by all models.

    Attributes:
        users: User id map (interactions plus user metadata).
        items: Item id map (interactions plus item metadata); items without interactions are new items.
        user_items: ``(users, items)`` CSR of aggregated weights (float32).
        converted: ``(users, items)`` CSR of pairs whose strongest event is a conversion (all pairs when the
            log has no event types): the items the default filter excludes.
        user_meta: User metadata aligned to ``users`` rows, or ``None``.
        item_meta: Item metadata aligned to ``items`` rows, or ``None``.
        user_kinds: Column kinds of ``user_meta``.
        item_kinds: Column kinds of ``item_meta``.
        posted_col: Item date column of the posting time, if recognized.
        expires_col: Item date column of the expiry time, if recognized.
        event_weights: Weight per event type, if the log had event types.
        last_time: Latest interaction time (the default reference time for item ages), if known.
        times: ``(users, items)`` CSR of each pair's last interaction time in epoch seconds, if known.
        seen: ``(users, items)`` CSR of every pair the user touched in the input, including rows a value
            threshold or a zero weight dropped (``exclude="seen"``); ``None`` means ``user_items``.
        revisit_share: How often users returned to an item they had left, if known.
    """

    users: IdIndex
    items: IdIndex
    user_items: sp.csr_matrix
    converted: sp.csr_matrix
    user_meta: pd.DataFrame | None
    item_meta: pd.DataFrame | None
    user_kinds: FeatureKinds
    item_kinds: FeatureKinds
    posted_col: str | None
    expires_col: str | None
    event_weights: dict[str, float] | None
    last_time: pd.Timestamp | None
    times: sp.csr_matrix | None = None
    seen: sp.csr_matrix | None = None
    revisit_share: float | None = None

    @classmethod
    def from_dataset(cls, dataset: Dataset) -> Context:
        """Build the id maps and matrices of a dataset."""
        inter = dataset.interactions
        if inter.duplicated(["user_id", "item_id"]).any():
            inter = aggregate_events(inter)
        if inter.empty:
            msg = "The training interactions are empty; nothing to fit."
            raise DataError(msg)
        extra = dataset.seen
        user_ids = pd.concat(
            [
                inter["user_id"],
                *([dataset.users["user_id"]] if dataset.users is not None else []),
                *([extra["user_id"]] if extra is not None else []),
            ]
        )
        # Items only seen in dropped rows get a row too, so the seen filter can hold them out of any
        # catalog later (they have no interactions: models treat them as new items).
        item_ids = pd.concat(
            [
                inter["item_id"],
                *([dataset.items["item_id"]] if dataset.items is not None else []),
                *([extra["item_id"]] if extra is not None else []),
            ]
        )
        users, items = IdIndex(user_ids.astype(str)), IdIndex(item_ids.astype(str))
        rows, cols = users.rows(inter["user_id"]), items.rows(inter["item_id"])
        shape = (len(users), len(items))
        weights = inter["weight"].to_numpy(dtype=np.float32)
        if not np.all(np.isfinite(weights)) or (weights <= 0).any():
            msg = "Interaction weights must be finite and positive; build them with aggregate_events."
            raise DataError(msg)
        user_items = sp.csr_matrix((weights, (rows, cols)), shape=shape, dtype=np.float32)
        conversions = dataset.conversion_events
        if conversions:
            mask = inter["event_type"].isin(conversions).to_numpy()
        else:
            mask = np.ones(len(inter), dtype=bool)
        converted = sp.csr_matrix(
            (np.ones(int(mask.sum()), np.float32), (rows[mask], cols[mask])), shape=shape
        )
        seen = None
        if extra is not None and len(extra):
            pairs = sp.csr_matrix(
                (
                    np.ones(len(extra), np.float32),
                    (users.rows(extra["user_id"].astype(str)), items.rows(extra["item_id"].astype(str))),
                ),
                shape=shape,
            )
            # Converted pairs are interactions too: the interactions' pattern covers them.
            seen = sp.csr_matrix(((pairs + (user_items > 0)) > 0).astype(np.float32))
        user_meta = _aligned(dataset.users, users, "user_id")
        item_meta = _aligned(dataset.items, items, "item_id")
        last_time, times = None, None
        if "timestamp" in inter.columns:
            last_time = pd.Timestamp(inter["timestamp"].max())
            seconds = inter["timestamp"].astype("datetime64[s]").astype(np.int64).to_numpy(dtype=np.float64)
            times = sp.csr_matrix((seconds, (rows, cols)), shape=shape)
        return cls(
            users=users,
            items=items,
            user_items=user_items,
            converted=converted,
            user_meta=user_meta,
            item_meta=item_meta,
            user_kinds=infer_kinds(dataset.users, "user_id") if dataset.users is not None else FeatureKinds(),
            item_kinds=infer_kinds(dataset.items, "item_id") if dataset.items is not None else FeatureKinds(),
            posted_col=date_column(dataset.items, "posted"),
            expires_col=date_column(dataset.items, "expires"),
            event_weights=dict(dataset.event_weights) if dataset.event_weights else None,
            last_time=last_time,
            times=times,
            seen=seen,
            revisit_share=dataset.revisit_share,
        )

    @property
    def default_exclude(self) -> str:
        """The exclusion filter chosen from the data's revisit share (``"seen"`` or ``"converted"``)."""
        return exclude_for(self.revisit_share)

    @property
    def user_counts(self) -> np.ndarray:
        """Distinct items per user row."""
        return np.diff(self.user_items.indptr)

    @property
    def item_counts(self) -> np.ndarray:
        """Distinct users per item row (Personalize's Popularity-Count)."""
        return np.bincount(self.user_items.indices, minlength=len(self.items))

    def save(self, folder: Path) -> None:
        """Write the context into ``folder`` (Parquet, npz and JSON only)."""
        folder.mkdir(parents=True, exist_ok=True)
        self.users.save(folder / "users.parquet")
        self.items.save(folder / "items.parquet")
        save_csr(self.user_items, folder / "user_items.npz")
        save_csr(self.converted, folder / "converted.npz")
        if self.times is not None:
            save_csr(self.times, folder / "times.npz")
        if self.seen is not None:
            save_csr(self.seen, folder / "seen.npz")
        if self.user_meta is not None:
            self.user_meta.to_parquet(folder / "user_meta.parquet", index=False)
        if self.item_meta is not None:
            self.item_meta.to_parquet(folder / "item_meta.parquet", index=False)
        info = {
            "user_kinds": asdict(self.user_kinds),
            "item_kinds": asdict(self.item_kinds),
            "posted_col": self.posted_col,
            "expires_col": self.expires_col,
            "event_weights": self.event_weights,
            "last_time": None if self.last_time is None else self.last_time.isoformat(),
            "revisit_share": self.revisit_share,
        }
        (folder / "context.json").write_text(json.dumps(info, indent=1, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Context:
        """Read a context written by :meth:`save`."""
        info = json.loads((folder / "context.json").read_text(encoding="utf-8"))

        def meta(name: str) -> pd.DataFrame | None:
            path = folder / name
            return pd.read_parquet(path) if path.exists() else None

        return cls(
            users=IdIndex.load(folder / "users.parquet"),
            items=IdIndex.load(folder / "items.parquet"),
            user_items=load_csr(folder / "user_items.npz"),
            converted=load_csr(folder / "converted.npz"),
            user_meta=meta("user_meta.parquet"),
            item_meta=meta("item_meta.parquet"),
            user_kinds=FeatureKinds(**{k: tuple(v) for k, v in info["user_kinds"].items()}),
            item_kinds=FeatureKinds(**{k: tuple(v) for k, v in info["item_kinds"].items()}),
            posted_col=info["posted_col"],
            expires_col=info["expires_col"],
            event_weights=info["event_weights"],
            last_time=None if info["last_time"] is None else pd.Timestamp(info["last_time"]),
            times=load_csr(folder / "times.npz") if (folder / "times.npz").exists() else None,
            seen=load_csr(folder / "seen.npz") if (folder / "seen.npz").exists() else None,
            revisit_share=info.get("revisit_share"),
        )
