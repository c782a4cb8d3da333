"""The content space: TF-IDF over item text plus one-hot categoricals, with user profiles projected into it.

Item text and categorical values form one TF-IDF vocabulary. A user's own text columns (skills, desired
titles, occupation) are projected into that same space, and columns that the user and item files share
by name (``state``, ``city``, ...) are compared value for value.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize

from recsys.context import Context

__all__ = ["ContentSpace", "documents", "normalized", "unit_rows"]

_TFIDF = {"ngram_range": (1, 2), "sublinear_tf": True, "stop_words": "english", "dtype": np.float32}


def normalized(values: pd.Series) -> pd.Series:
    """Lower-cased, stripped text (missing stays missing)."""
    return values.astype("string").str.strip().str.lower()


def documents(meta: pd.DataFrame | None, columns: Sequence[str], n: int) -> list[str]:
    """One text per row: the non-missing values of ``columns`` joined by spaces (empty texts without)."""
    cols = [c for c in columns if meta is not None and c in meta.columns]
    if meta is None or not cols:
        return [""] * n
    parts = meta[cols].astype("string").fillna("")
    text = parts[cols[0]]
    for col in cols[1:]:
        text = text + " " + parts[col]
    return text.str.strip().tolist()


def unit_rows(matrix: sp.spmatrix) -> sp.csr_matrix:
    """Rows scaled to unit L2 norm (zero rows stay zero), float32 CSR.

    A space without any column (items without metadata) stays empty instead of failing: every content
    similarity is then 0 and the other signals decide.
    """
    csr = sp.csr_matrix(matrix, dtype=np.float32)
    if csr.shape[1] == 0 or csr.shape[0] == 0:
        return csr
    return sp.csr_matrix(normalize(csr, copy=False), dtype=np.float32)


def _tokens(doc: list[str]) -> list[str]:
    # Categorical rows arrive already tokenized as "column=value" strings.
    return doc


def _categorical_tokens(meta: pd.DataFrame | None, columns: Sequence[str], n: int) -> list[list[str]]:
    if meta is None or not columns:
        return [[] for _ in range(n)]
    cols = [c for c in columns if c in meta.columns]
    values = {c: normalized(meta[c]).tolist() for c in cols}
    return [[f"{c}={values[c][r]}" for c in cols if isinstance(values[c][r], str)] for r in range(n)]


class ContentSpace:
    """Vectorizers fit on item metadata, and the column roles they serve.

    Attributes:
        text: TF-IDF vectorizer over item text and categorical values.
        categories: Binary one-hot vectorizer of ``column=value`` item categoricals.
        item_columns: Item string columns feeding the TF-IDF documents.
        item_categoricals: Item categorical columns (one-hot block).
        user_text_columns: User string columns projected into the TF-IDF space.
        shared_columns: Columns both files have, compared value for value.
    """

    def __init__(
        self,
        text: TfidfVectorizer | None,
        categories: CountVectorizer | None,
        item_columns: tuple[str, ...],
        item_categoricals: tuple[str, ...],
        user_text_columns: tuple[str, ...],
        shared_columns: tuple[str, ...],
    ) -> None:
        self.text, self.categories = text, categories
        self.item_columns, self.item_categoricals = item_columns, item_categoricals
        self.user_text_columns, self.shared_columns = user_text_columns, shared_columns

    @classmethod
    def fit(cls, ctx: Context, *, max_features: int = 100_000) -> ContentSpace:
        """Fit the vectorizers on the fitted items' metadata."""
        item_cols = ctx.item_kinds.strings
        user_cols = ctx.user_kinds.strings
        shared = tuple(c for c in user_cols if c in item_cols)
        user_text = tuple(c for c in user_cols if c not in shared)
        n = len(ctx.items)
        docs = documents(ctx.item_meta, item_cols, n)
        text = None
        if any(docs):
            # Terms seen in a single posting are noise on large catalogs but all there is on tiny ones.
            min_df = 2 if n >= 200 else 1
            text = TfidfVectorizer(min_df=min_df, max_features=max_features, **_TFIDF)
            try:
                text.fit(docs)
            except ValueError:  # every term is a stop word or too rare
                text = None
        cats = None
        tokens = _categorical_tokens(ctx.item_meta, ctx.item_kinds.categorical, n)
        if any(tokens):
            cats = CountVectorizer(analyzer=_tokens, binary=True, dtype=np.float32).fit(tokens)
        return cls(text, cats, item_cols, ctx.item_kinds.categorical, user_text, shared)

    def item_text(self, meta: pd.DataFrame | None, n: int) -> sp.csr_matrix:
        """L2-normalized TF-IDF rows of items."""
        if self.text is None:
            return sp.csr_matrix((n, 0), dtype=np.float32)
        return sp.csr_matrix(self.text.transform(documents(meta, self.item_columns, n)))

    def item_vectors(self, meta: pd.DataFrame | None, n: int) -> sp.csr_matrix:
        """Unit rows ``[text ; categoricals / sqrt(#columns)]``: what a history profile is compared with."""
        blocks = [self.item_text(meta, n)]
        if self.categories is not None:
            onehot = self.categories.transform(_categorical_tokens(meta, self.item_categoricals, n))
            blocks.append(sp.csr_matrix(onehot) / np.sqrt(max(1, len(self.item_categoricals))))
        return unit_rows(sp.hstack(blocks, format="csr"))

    def user_text(self, meta: pd.DataFrame | None, n: int) -> sp.csr_matrix:
        """User profile text projected into the item TF-IDF space (unit rows; zero rows without text)."""
        if self.text is None or not self.user_text_columns:
            return sp.csr_matrix(
                (n, 0 if self.text is None else len(self.text.vocabulary_)), dtype=np.float32
            )
        return sp.csr_matrix(self.text.transform(documents(meta, self.user_text_columns, n)))

    def matches(
        self, user_meta: pd.DataFrame | None, item_meta: pd.DataFrame | None
    ) -> dict[str, np.ndarray]:
        """Per shared column, a ``(users, items)`` float32 array: 1 where the values are equal, else 0."""
        out: dict[str, np.ndarray] = {}
        if user_meta is None or item_meta is None:
            return out
        for col in self.shared_columns:
            u, i = normalized(user_meta[col]), normalized(item_meta[col])
            codes, _ = pd.factorize(pd.concat([u, i], ignore_index=True), use_na_sentinel=True)
            cu, ci = codes[: len(u)], codes[len(u) :]
            out[col] = ((cu[:, None] == ci[None, :]) & (cu[:, None] >= 0)).astype(np.float32)
        return out

    def save(self, folder: Path) -> None:
        """Vocabularies and idf weights as Parquet/npz, column roles as JSON."""
        folder.mkdir(parents=True, exist_ok=True)
        roles = {
            "item_columns": self.item_columns,
            "item_categoricals": self.item_categoricals,
            "user_text_columns": self.user_text_columns,
            "shared_columns": self.shared_columns,
            "text_params": None if self.text is None else {"min_df": self.text.min_df, "max_features": None},
        }
        (folder / "content.json").write_text(json.dumps(roles, indent=1, sort_keys=True), encoding="utf-8")
        if self.text is not None:
            _save_vocabulary(self.text.vocabulary_, folder / "text_vocabulary.parquet")
            np.savez(folder / "text_idf.npz", idf=self.text.idf_)
        if self.categories is not None:
            _save_vocabulary(self.categories.vocabulary_, folder / "category_vocabulary.parquet")

    @classmethod
    def load(cls, folder: Path) -> ContentSpace:
        """Rebuild the vectorizers from their saved vocabularies (no pickle)."""
        roles = json.loads((folder / "content.json").read_text(encoding="utf-8"))
        text = None
        if roles["text_params"] is not None:
            text = TfidfVectorizer(vocabulary=_load_vocabulary(folder / "text_vocabulary.parquet"), **_TFIDF)
            with np.load(folder / "text_idf.npz", allow_pickle=False) as z:
                text.idf_ = z["idf"]
        cats = None
        if (folder / "category_vocabulary.parquet").exists():
            vocab = _load_vocabulary(folder / "category_vocabulary.parquet")
            cats = CountVectorizer(analyzer=_tokens, binary=True, dtype=np.float32, vocabulary=vocab)
        return cls(
            text,
            cats,
            tuple(roles["item_columns"]),
            tuple(roles["item_categoricals"]),
            tuple(roles["user_text_columns"]),
            tuple(roles["shared_columns"]),
        )


def _save_vocabulary(vocabulary: dict[str, int], path: Path) -> None:
    terms = sorted(vocabulary, key=vocabulary.__getitem__)
    pd.DataFrame({"term": terms, "column": np.arange(len(terms), dtype=np.int64)}).to_parquet(
        path, index=False
    )


def _load_vocabulary(path: Path) -> dict[str, int]:
    frame = pd.read_parquet(path)
    return {str(t): int(c) for t, c in zip(frame["term"], frame["column"], strict=True)}
