"""Seeded synthetic job board with known latent tastes: users, jobs, view/click/apply events.

Each active user belongs to one occupation cluster (plus a hidden secondary cluster) and one home state.
Every view picks a job that is open at that moment with probability proportional to the job's long-tailed
appeal times ``exp(OCCUPATION_BOOST)`` for the user's cluster, ``exp(SECONDARY_BOOST)`` for the hidden
secondary cluster and ``exp(STATE_BOOST)`` for the home state, decaying with the posting's age.
Views lead to clicks and clicks to applies.
Users' profiles are sparse (most columns mostly empty), some users never act, users join over the whole
period and jobs are posted until the end, so a temporal split has cold users and new jobs with targets.

Run ``python -m recsys.synthetic --out data/jobs`` to (re)write the committed sample byte for byte.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from costrec.atomic import atomic_dir
from recsys._vocabulary import BRANCHES as _BRANCHES
from recsys._vocabulary import CLUSTERS as _CLUSTERS
from recsys._vocabulary import COMPANY_STEMS as _COMPANY_STEMS
from recsys._vocabulary import COMPANY_SUFFIXES as _COMPANY_SUFFIXES
from recsys._vocabulary import PREFERENCES as _PREFERENCES
from recsys._vocabulary import STATES as _STATES
from recsys._vocabulary import TITLE_PREFIXES as _TITLE_PREFIXES

__all__ = [
    "JobBoard",
    "JobBoardConfig",
    "OCCUPATION_BOOST",
    "SECONDARY_BOOST",
    "STATE_BOOST",
    "FRESHNESS_DAYS",
    "generate_job_board",
    "write_job_board",
    "main",
]

# Log-odds boosts of the latent-taste model (see the module docstring).
OCCUPATION_BOOST = 3.0
SECONDARY_BOOST = 1.5
STATE_BOOST = 1.5
# Interest in a posting decays with its age (e-fold time in days): job seekers look at fresh postings,
# which is why most jobs applied to next week had no interactions this week.
FRESHNESS_DAYS = 7.0
CLICK_PROBABILITY = 0.35
APPLY_PROBABILITY = 0.35

_EVENT_GAP_SECONDS = (30, 600)  # delay from a view to its click, and from a click to its apply


@dataclass(frozen=True)
class JobBoardConfig:
    """Size and shape of a synthetic job board.

    Attributes:
        n_users: Users in ``users.csv`` (active and cold).
        n_jobs: Job postings in ``jobs.csv``.
        n_days: Length of the event period in days, starting at ``start``.
        start: First day of the event period (ISO date).
        cold_fraction: Share of users who never act (profile only).
        mean_views: Mean number of views per active user (log-normal, so the activity has a long tail).
        seed: Seed of the random generator; the same config gives the same board byte for byte.
    """

    n_users: int = 2000
    n_jobs: int = 1200
    n_days: int = 120
    start: str = "2024-01-01"
    cold_fraction: float = 0.15
    mean_views: float = 7.0
    seed: int = 7

    def __post_init__(self) -> None:
        if self.n_users < 1 or self.n_jobs < len(_CLUSTERS) or self.n_days < 7:
            msg = (
                f"JobBoardConfig needs n_users >= 1, n_jobs >= {len(_CLUSTERS)} and n_days >= 7; got "
                f"n_users={self.n_users}, n_jobs={self.n_jobs}, n_days={self.n_days}."
            )
            raise ValueError(msg)
        if not 0.0 <= self.cold_fraction < 1.0 or self.mean_views <= 0:
            msg = (
                f"JobBoardConfig needs 0 <= cold_fraction < 1 and mean_views > 0; got "
                f"cold_fraction={self.cold_fraction}, mean_views={self.mean_views}."
            )
            raise ValueError(msg)


@dataclass(frozen=True)
class JobBoard:
    """A generated board: the observable tables plus the generator's ground truth.

    Attributes:
        users: ``user_id, occupation, state, city, branch, skills, preferences, signup_date`` (sparse).
        jobs: ``item_id, title, company, industry, city, state, posted_at, expires_at``.
        events: ``user_id, item_id, event_type, timestamp`` with event types ``view``, ``click``, ``apply``.
        truth_users: ``user_id, cluster, secondary_cluster, home_state, active`` (the latent tastes).
        truth_jobs: ``item_id, cluster, appeal`` (``appeal`` is the long-tailed popularity factor).
    """

    users: pd.DataFrame
    jobs: pd.DataFrame
    events: pd.DataFrame
    truth_users: pd.DataFrame
    truth_jobs: pd.DataFrame


def _sparse(rng: np.random.Generator, values: list[str], fill_rate: float) -> list[str | None]:
    keep = rng.random(len(values)) < fill_rate
    return [v if k else None for v, k in zip(values, keep, strict=True)]


def _jobs(cfg: JobBoardConfig, rng: np.random.Generator, start: pd.Timestamp) -> pd.DataFrame:
    clusters = list(_CLUSTERS)
    states = list(_STATES)
    cluster = rng.integers(len(clusters), size=cfg.n_jobs)
    cluster[: len(clusters)] = np.arange(len(clusters))  # every cluster has at least one job
    state = rng.integers(len(states), size=cfg.n_jobs)
    # Postings start a month before the period so the board is not empty on day one, and continue
    # to the last day, so the newest postings have no events before any late cutoff.
    posted_s = rng.integers(-30 * 86400, cfg.n_days * 86400, size=cfg.n_jobs)
    open_days = rng.integers(21, 61, size=cfg.n_jobs)
    appeal = rng.lognormal(0.0, 1.0, size=cfg.n_jobs)
    rows = []
    for j in range(cfg.n_jobs):
        name = clusters[cluster[j]]
        industry, _, stems, _ = _CLUSTERS[name]
        title = _TITLE_PREFIXES[rng.integers(len(_TITLE_PREFIXES))] + stems[rng.integers(len(stems))]
        company = (
            f"{_COMPANY_STEMS[rng.integers(len(_COMPANY_STEMS))]} {industry} "
            f"{_COMPANY_SUFFIXES[rng.integers(len(_COMPANY_SUFFIXES))]}"
        )
        st = states[state[j]]
        posted = start + pd.Timedelta(seconds=int(posted_s[j]))
        rows.append(
            {
                "item_id": f"j{j:05d}",
                "title": title,
                "company": company,
                "industry": industry,
                "city": _STATES[st][rng.integers(3)],
                "state": st,
                "posted_at": posted.floor("s"),
                "expires_at": (posted + pd.Timedelta(days=int(open_days[j]))).floor("D"),
                "_cluster": name,
                "_appeal": appeal[j],
            }
        )
    return pd.DataFrame(rows)


def _users(cfg: JobBoardConfig, rng: np.random.Generator, start: pd.Timestamp) -> pd.DataFrame:
    clusters = list(_CLUSTERS)
    states = list(_STATES)
    n = cfg.n_users
    cluster = rng.integers(len(clusters), size=n)
    secondary = (cluster + rng.integers(1, len(clusters), size=n)) % len(clusters)
    home = rng.integers(len(states), size=n)
    occupation = [_CLUSTERS[clusters[c]][1][rng.integers(3)] for c in cluster]
    city = [_STATES[states[s]][rng.integers(3)] for s in home]
    skills = [
        "; ".join(rng.choice(np.array(_CLUSTERS[clusters[c]][3]), size=rng.integers(1, 4), replace=False))
        for c in cluster
    ]
    prefs = [
        ", ".join(rng.choice(np.array(_PREFERENCES), size=rng.integers(1, 3), replace=False)) for _ in cluster
    ]
    branch = [_BRANCHES[b] for b in rng.integers(len(_BRANCHES), size=n)]
    # Users join over the whole period; late joiners are cold users under a temporal split.
    signup_s = rng.integers(-60 * 86400, cfg.n_days * 86400, size=n)
    return pd.DataFrame(
        {
            "user_id": [f"u{u:05d}" for u in range(n)],
            "occupation": _sparse(rng, occupation, 0.55),
            "state": _sparse(rng, [states[s] for s in home], 0.75),
            "city": _sparse(rng, city, 0.35),
            "branch": _sparse(rng, branch, 0.15),
            "skills": _sparse(rng, skills, 0.30),
            "preferences": _sparse(rng, prefs, 0.10),
            "signup_date": [(start + pd.Timedelta(seconds=int(s))).normalize() for s in signup_s],
            "_cluster": [clusters[c] for c in cluster],
            "_secondary": [clusters[c] for c in secondary],
            "_home": [states[s] for s in home],
        }
    )


def _events(
    cfg: JobBoardConfig, rng: np.random.Generator, users: pd.DataFrame, jobs: pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray]:
    start = pd.Timestamp(cfg.start)
    period = cfg.n_days * 86400
    posted = ((jobs["posted_at"] - start).dt.total_seconds()).to_numpy(dtype=np.int64)
    expires = ((jobs["expires_at"] - start).dt.total_seconds()).to_numpy(dtype=np.int64)
    log_appeal = np.log(jobs["_appeal"].to_numpy(dtype=float))
    # Integer codes: comparing object arrays of names per user is the generator's hot loop.
    clusters = {name: code for code, name in enumerate(_CLUSTERS)}
    states = {name: code for code, name in enumerate(_STATES)}
    job_cluster = jobs["_cluster"].map(clusters).to_numpy(dtype=np.int64)
    job_state = jobs["state"].map(states).to_numpy(dtype=np.int64)
    signup = ((users["signup_date"] - start).dt.total_seconds()).to_numpy(dtype=np.int64)
    active = rng.random(cfg.n_users) >= cfg.cold_fraction
    # Log-normal views per user with the requested mean: a few heavy users, many light ones.
    sigma = 0.9
    n_views = np.maximum(
        1, np.round(rng.lognormal(np.log(cfg.mean_views) - sigma**2 / 2, sigma, cfg.n_users))
    )
    user_ids = users["user_id"].to_numpy(dtype=object)
    u_cluster = users["_cluster"].map(clusters).to_numpy(dtype=np.int64)
    u_secondary = users["_secondary"].map(clusters).to_numpy(dtype=np.int64)
    u_home = users["_home"].map(states).to_numpy(dtype=np.int64)
    # Jobs sorted by posting time: the jobs posted by time t are a prefix, so one cumulative sum per
    # user serves every view. exp(-age / FRESHNESS_DAYS) = exp(posted / FRESHNESS_DAYS) * exp(-t / ...),
    # and the factor in t is the same for every job, so it drops out of the choice.
    order = np.argsort(posted, kind="stable")
    posted, expires, job_cluster, job_state = (
        posted[order],
        expires[order],
        job_cluster[order],
        job_state[order],
    )
    item_ids = jobs["item_id"].to_numpy(dtype=object)[order]
    base = log_appeal[order] + posted / 86400.0 / FRESHNESS_DAYS
    rows: list[tuple[str, str, str, int]] = []
    for u in np.flatnonzero(active):
        begin = max(0, int(signup[u]))
        span = max(86400, int(rng.exponential(35 * 86400)))
        t = np.sort(rng.integers(begin, min(period, begin + span) + 1, size=int(n_views[u])))
        utility = (
            base
            + OCCUPATION_BOOST * (job_cluster == u_cluster[u])
            + SECONDARY_BOOST * (job_cluster == u_secondary[u])
            + STATE_BOOST * (job_state == u_home[u])
        )
        weight = np.exp(utility - utility.max())
        cdf = np.cumsum(weight)
        n_posted = np.searchsorted(posted, t, side="right")
        total = np.where(n_posted > 0, cdf[np.maximum(n_posted - 1, 0)], 0.0)
        # Draw among the jobs posted by t and keep the draw if the job is still open; otherwise draw
        # exactly among the open ones. The mixture is exactly the distribution over open jobs.
        pick = np.minimum(np.searchsorted(cdf, rng.random(len(t)) * total, side="right"), len(cdf) - 1)
        redo = rng.random(len(t))
        clicks = rng.random(len(t)) < CLICK_PROBABILITY
        applies = clicks & (rng.random(len(t)) < APPLY_PROBABILITY)
        gaps = rng.integers(*_EVENT_GAP_SECONDS, size=(len(t), 2))
        for row, ts in enumerate(t.tolist()):
            j = int(pick[row])
            if n_posted[row] == 0:
                continue
            if expires[j] <= ts:
                open_weight = weight[: n_posted[row]] * (expires[: n_posted[row]] > ts)
                open_cdf = np.cumsum(open_weight)
                if open_cdf[-1] <= 0:
                    continue
                j = int(np.searchsorted(open_cdf, redo[row] * open_cdf[-1], side="right"))
            rows.append((user_ids[u], item_ids[j], "view", ts))
            if clicks[row]:
                rows.append((user_ids[u], item_ids[j], "click", ts + int(gaps[row, 0])))
            if applies[row]:
                rows.append((user_ids[u], item_ids[j], "apply", ts + int(gaps[row].sum())))
    events = pd.DataFrame(rows, columns=["user_id", "item_id", "event_type", "seconds"])
    # Events past the period end (a click a few minutes after the last view) are cut to keep the window exact.
    events = events[events["seconds"] < period].sort_values(["seconds", "user_id", "item_id"], kind="stable")
    events["timestamp"] = start + pd.to_timedelta(events["seconds"], unit="s")
    return events.drop(columns="seconds").reset_index(drop=True), active


def generate_job_board(config: JobBoardConfig | None = None) -> JobBoard:
    """Generate a seeded job board with known latent tastes.

    Args:
        config: Sizes and seed. Defaults to ``JobBoardConfig()`` (the committed sample in ``data/jobs``).

    Returns:
        The observable tables and the ground truth.

    Example:
        >>> board = generate_job_board(JobBoardConfig(n_users=50, n_jobs=40, n_days=30, seed=1))
        >>> sorted(board.events["event_type"].unique())
        ['apply', 'click', 'view']
        >>> board.users["user_id"].is_unique and board.jobs["item_id"].is_unique
        True
    """
    cfg = config or JobBoardConfig()
    rng = np.random.default_rng(cfg.seed)
    start = pd.Timestamp(cfg.start)
    jobs = _jobs(cfg, rng, start)
    users = _users(cfg, rng, start)
    events, active = _events(cfg, rng, users, jobs)
    truth_users = pd.DataFrame(
        {
            "user_id": users["user_id"],
            "cluster": users["_cluster"],
            "secondary_cluster": users["_secondary"],
            "home_state": users["_home"],
            "active": active,
        }
    )
    truth_jobs = pd.DataFrame(
        {"item_id": jobs["item_id"], "cluster": jobs["_cluster"], "appeal": jobs["_appeal"]}
    )
    return JobBoard(
        users=users.drop(columns=["_cluster", "_secondary", "_home"]),
        jobs=jobs.drop(columns=["_cluster", "_appeal"]),
        events=events,
        truth_users=truth_users,
        truth_jobs=truth_jobs,
    )


_README = """# Synthetic job board (generated by `python -m recsys.synthetic --out data/jobs`)

Config: {config}

- `users.csv`: `user_id` plus sparse profile columns `occupation, state, city, branch, skills, preferences`
  (mostly empty) and `signup_date`. About {cold:.0%} of users never act.
- `jobs.csv`: `item_id, title, company, industry, city, state, posted_at, expires_at`.
- `events.csv`: `user_id, item_id, event_type, timestamp`; event types `view`, `click`, `apply`.
- `ground_truth_users.csv`: each user's latent `cluster` (occupation), hidden `secondary_cluster`,
  `home_state` and whether the user is `active`.
- `ground_truth_jobs.csv`: each job's `cluster` and long-tailed `appeal`.

A view picks an open job with probability proportional to `appeal * exp({occ} [same cluster]
+ {sec} [secondary cluster] + {state} [home state] - age_days / {fresh})` among the jobs open at
that moment; a view becomes a click with probability {click}
and a click an apply with probability {apply}.
"""


def write_job_board(board: JobBoard, out: str | Path, config: JobBoardConfig | None = None) -> Path:
    """Write a board as CSV files (plus a schema README) into ``out``, replacing the folder atomically.

    The output depends only on the board, so regenerating with the same config is byte-identical.

    Args:
        board: The generated board.
        out: Target folder (replaced as a whole).
        config: The config recorded in the README. Defaults to ``JobBoardConfig()``.

    Returns:
        The target folder.
    """
    cfg = config or JobBoardConfig()
    tables = {
        "users.csv": board.users,
        "jobs.csv": board.jobs,
        "events.csv": board.events,
        "ground_truth_users.csv": board.truth_users,
        "ground_truth_jobs.csv": board.truth_jobs,
    }
    out = Path(out)
    with atomic_dir(out) as tmp:
        for name, frame in tables.items():
            frame.to_csv(
                tmp / name,
                index=False,
                lineterminator="\n",
                float_format="%.6f",
                date_format="%Y-%m-%d %H:%M:%S",
            )
        text = _README.format(
            config=", ".join(f"{k}={v}" for k, v in asdict(cfg).items()),
            cold=cfg.cold_fraction,
            occ=OCCUPATION_BOOST,
            sec=SECONDARY_BOOST,
            state=STATE_BOOST,
            fresh=FRESHNESS_DAYS,
            click=CLICK_PROBABILITY,
            apply=APPLY_PROBABILITY,
        )
        (tmp / "README.md").write_text(text, encoding="utf-8")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m recsys.synthetic --out DIR [--users N] [--jobs N] [--days N] [--seed S]``."""
    defaults = JobBoardConfig()
    parser = argparse.ArgumentParser(
        prog="python -m recsys.synthetic", description="Write a seeded synthetic job board."
    )
    parser.add_argument("--out", required=True, help="output folder (replaced as a whole)")
    parser.add_argument("--users", type=int, default=defaults.n_users, help="number of users")
    parser.add_argument("--jobs", type=int, default=defaults.n_jobs, help="number of job postings")
    parser.add_argument(
        "--days", type=int, default=defaults.n_days, help="length of the event period in days"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed, help="random seed")
    args = parser.parse_args(argv)
    cfg = JobBoardConfig(n_users=args.users, n_jobs=args.jobs, n_days=args.days, seed=args.seed)
    out = write_job_board(generate_job_board(cfg), args.out, cfg)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
