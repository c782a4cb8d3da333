"""Bayesian Personalized Ranking (Rendle et al. 2009) from implicit, behind the recommender contract."""

from __future__ import annotations

from implicit.cpu.bpr import BayesianPersonalizedRanking

from recsys.models._implicit import ImplicitModel

__all__ = ["BPR"]


class BPR(ImplicitModel):
    """Bayesian Personalized Ranking (Rendle et al. 2009) from implicit, on binary interactions.

    Args:
        factors: Latent dimensions.
        learning_rate: SGD step.
        regularization: L2 penalty.
        iterations: Epochs.
        random_state: Seed.
        num_threads: Threads (0 = all cores; 1 makes the result exactly reproducible).
    """

    name = "bpr"
    weighting = "binary"

    def __init__(
        self,
        factors: int = 64,
        learning_rate: float = 0.05,
        regularization: float = 0.01,
        iterations: int = 100,
        random_state: int = 0,
        num_threads: int = 0,
    ) -> None:
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.iterations = iterations
        self.random_state = random_state
        self.num_threads = num_threads

    def _make(self) -> BayesianPersonalizedRanking:
        return BayesianPersonalizedRanking(
            factors=self.factors,
            learning_rate=self.learning_rate,
            regularization=self.regularization,
            iterations=self.iterations,
            random_state=self.random_state,
            num_threads=self.num_threads,
        )
