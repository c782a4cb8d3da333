"""Implicit-feedback ALS (Hu, Koren & Volinsky 2008) from implicit, behind the recommender contract."""

from __future__ import annotations

import numpy as np
from implicit.cpu.als import AlternatingLeastSquares

from recsys.models._implicit import ImplicitModel

__all__ = ["ALS"]


class ALS(ImplicitModel):
    """Implicit-feedback matrix factorization (Hu, Koren & Volinsky 2008) with implicit's conjugate gradient.

    Args:
        factors: Latent dimensions.
        regularization: L2 penalty.
        alpha: Scale of the confidences.
        iterations: ALS sweeps.
        weighting: Confidence weighting of the event weights (see :func:`confidence`).
        random_state: Seed of the factor initialization.
    """

    name = "als"

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 1.0,
        iterations: int = 15,
        weighting: str = "linear",
        random_state: int = 0,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.weighting = weighting
        self.random_state = random_state

    def _make(self) -> AlternatingLeastSquares:
        return AlternatingLeastSquares(
            factors=self.factors,
            regularization=self.regularization,
            alpha=self.alpha,
            iterations=self.iterations,
            random_state=self.random_state,
        )

    def factors_of(self, user_rows: np.ndarray) -> np.ndarray:
        """User factors of fitted user rows."""
        return np.asarray(self._model.user_factors[user_rows])

    @property
    def item_factors(self) -> np.ndarray:
        """Item factors, one row per fitted item."""
        return np.asarray(self._model.item_factors)
