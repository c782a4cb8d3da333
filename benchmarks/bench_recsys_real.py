"""The default recommender on real data, through the command lines, against simple references in the same run.

Run: ``.venv/bin/python benchmarks/bench_recsys_real.py [--datasets movielens-random,jobs] [--k K]
[--models default,als] [--quick]``.

For each data set of :mod:`recsys_data` (MovieLens random and Personalize protocols, real job-board views,
the synthetic board), the training files are written to a temporary folder and the command lines are run
as a new user would, each as its own process:

    recommend train TRAIN.csv --items ITEMS.csv [--users USERS.csv] -o MODEL [data flags]
    recommend batch MODEL -o RECS.parquet --users TEST_USERS.csv --items ITEMS.csv --k K --exclude seen

first with the defaults (``default``), then with ``--model NAME`` for every name in ``recsys.models.MODELS``
(read at run time, so new models show up; a model whose train fails is skipped with the reason). The same
split feeds the in-process references of :mod:`recsys_data`: popularity, plain implicit ALS and TF-IDF
profiles. Each list is scored against the held-out targets (per-user metrics, 95% bootstrap interval of the
mean, paired bootstrap intervals of the ratios); every list is checked for items the user had in the
training input (``--exclude seen`` must remove them all) and for test users left without a list.

Prints one Markdown table per data set and writes everything to ``benchmarks/out/recsys_real.json``.
``--quick`` runs the default and the references only (a few minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from recsys_data import (
    RealSplit,
    Score,
    count_seen,
    coverage,
    jobs,
    movielens,
    plain_als,
    popularity,
    score,
    synthetic,
    tfidf_profile,
)

from costrec.atomic import write_text
from metrics.compare import lift
from recsys.models import MODELS

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out" / "recsys_real.json"
DATASETS: dict[str, Callable[[], RealSplit]] = {
    "movielens-random": lambda: movielens("random"),
    "movielens-personalize": lambda: movielens("personalize"),
    "jobs": jobs,
    "synthetic": synthetic,
}
# The simple reference each data set's default must beat (issue 16): plain ALS on ratings, TF-IDF on jobs.
# The synthetic board has none named; its best reference in the run is used.
REFERENCE = {"movielens-random": "ref:als", "movielens-personalize": "ref:als", "jobs": "ref:tfidf"}
LABELS = {"ndcg_at_k": "NDCG", "mrr_at_k": "MRR", "precision_at_k": "P", "recall_at_k": "recall",
          "hit_rate_at_k": "hit rate"}  # fmt: skip
OTHER_METRICS = ("ndcg_at_k", "mrr_at_k", "recall_at_k", "precision_at_k", "hit_rate_at_k")
TIMEOUT_S = 1800
N_BOOT = 1000


@dataclass
class Row:
    """One model's result on one data set."""

    model: str
    headline: Score | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    coverage: float = np.nan
    seen: int = 0
    served: int = 0
    train_s: float = np.nan
    train_cpu_s: float = np.nan
    batch_s: float = np.nan
    batch_cpu_s: float = np.nan
    error: str = ""
    train_output: str = ""
    sources: dict[str, int] = field(default_factory=dict)


def _recommend_command() -> list[str]:
    """The ``recommend`` entry point of the environment running this script (the project's .venv)."""
    local = Path(sys.executable).parent / "recommend"
    found = local if local.exists() else ROOT / ".venv" / "bin" / "recommend"
    if not found.exists():
        path = shutil.which("recommend")
        if path is None:
            raise SystemExit("the `recommend` command is not installed; run `make venv` first")
        found = Path(path)
    return [str(found)]


def _run(args: list[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Run a whole process; wall seconds, CPU seconds (user + system of the child) and its result."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done


def _why(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
    return f"exit {done.returncode}: {lines[-1] if lines else 'no output'}"


def _write_inputs(split: RealSplit, folder: Path) -> None:
    split.train.to_csv(folder / "train.csv", index=False)
    split.items.to_csv(folder / "items.csv", index=False)
    if split.users is not None:
        split.users.to_csv(folder / "users.csv", index=False)
    pd.DataFrame({"user_id": split.test_users}).to_csv(folder / "test_users.csv", index=False)


def _score_lists(row: Row, recs: pd.DataFrame, split: RealSplit, k: int) -> None:
    """Fill the row's scores and checks from a list frame."""
    recs = recs.astype({"user_id": str, "item_id": str})
    row.headline = score(recs, split.targets, k, split.metric, users=split.test_users, n_boot=N_BOOT)
    for metric in OTHER_METRICS:
        row.metrics[metric] = score(recs, split.targets, k, metric, users=split.test_users, n_boot=1).mean
    row.coverage = coverage(recs, split.catalog, k)
    row.seen = count_seen(recs, split.seen, k)
    row.served = int(pd.Index(split.test_users).isin(recs["user_id"]).sum())
    if "source" in recs.columns:
        row.sources = {
            str(s): int(n) for s, n in recs.loc[recs["rank"] <= k, "source"].value_counts().items()
        }


def _cli_row(name: str, split: RealSplit, folder: Path, k: int) -> Row:
    """Train and batch through the command lines; ``name`` is ``default`` or a registry model."""
    row = Row(model=name)
    model_dir = folder / f"model-{name}"
    recs_path = folder / f"recs-{name}.parquet"
    train = [*_recommend_command(), "train", "train.csv", "--items", "items.csv", "-o", model_dir.name]
    if split.users is not None:
        train += ["--users", "users.csv"]
    train += list(split.train_args)
    if name != "default":
        train += ["--model", name]
    row.train_s, row.train_cpu_s, done = _run(train, folder)
    row.train_output = done.stdout
    if done.returncode != 0:
        row.error = f"train {_why(done)}"
        return row
    batch = [
        *_recommend_command(),
        "batch",
        model_dir.name,
        "-o",
        recs_path.name,
        "--users",
        "test_users.csv",
    ]
    batch += ["--items", "items.csv", "--k", str(k), "--exclude", "seen", *split.batch_args]
    row.batch_s, row.batch_cpu_s, done = _run(batch, folder)
    if done.returncode != 0:
        row.error = f"batch {_why(done)}"
        return row
    _score_lists(row, pd.read_parquet(folder / recs_path.name), split, k)
    return row


def _reference_rows(split: RealSplit, k: int) -> list[Row]:
    """The in-process references, timed as fit + recommend (wall and this process's CPU)."""
    references: dict[str, Callable[[], pd.DataFrame]] = {
        "ref:popularity": lambda: popularity(
            split.liked, split.test_users, k, exclude=split.seen, catalog=split.catalog
        ),
        "ref:als": lambda: plain_als(
            split.liked, split.test_users, k, exclude=split.seen, catalog=split.catalog
        ),
        "ref:tfidf": lambda: tfidf_profile(
            split.liked,
            split.items,
            split.test_users,
            k,
            text_cols=split.text_cols,
            exclude=split.seen,
            catalog=split.catalog,
        ),
    }
    rows = []
    for name, make in references.items():
        row = Row(model=name)
        start, start_cpu = time.perf_counter(), time.process_time()
        recs = make()
        row.train_s, row.train_cpu_s = time.perf_counter() - start, time.process_time() - start_cpu
        _score_lists(row, recs, split, k)
        rows.append(row)
    return rows


def _ratio(row: Row, base: Row | None) -> tuple[float, float, float]:
    """Ratio of means to ``base`` over the same users, with its paired bootstrap interval."""
    if base is None or row.headline is None or base.headline is None or row is base:
        return (np.nan, np.nan, np.nan)
    a = row.headline.per_user.reindex(base.headline.per_user.index).to_numpy()
    result = lift(a, base.headline.per_user.to_numpy(), n_boot=N_BOOT, seed=0)
    return result.ratio, result.ratio_ci[0], result.ratio_ci[1]


def _fmt_ratio(value: tuple[float, float, float]) -> str:
    ratio, low, high = value

    def f(v: float) -> str:
        return "?" if np.isnan(v) else "inf" if np.isinf(v) else f"{v:.2f}"

    return "" if np.isnan(ratio) and np.isnan(low) else f"{f(ratio)}x [{f(low)}, {f(high)}]"


def _seconds(wall: float, cpu: float) -> str:
    return "" if np.isnan(wall) else f"{wall:.1f} ({cpu:.1f})"


def _reference_of(name: str, rows: list[Row]) -> Row | None:
    by_name = {r.model: r for r in rows if r.headline is not None}
    if name in REFERENCE:
        return by_name.get(REFERENCE[name])
    candidates = [by_name[n] for n in ("ref:als", "ref:tfidf") if n in by_name]
    return max(candidates, key=lambda r: r.headline.mean if r.headline else -1.0, default=None)


def _table(name: str, split: RealSplit, rows: list[Row], k: int) -> str:
    """Markdown: model, headline metric [CI], ratios to the reference and popularity, checks, seconds."""
    reference = _reference_of(name, rows)
    popular = next((r for r in rows if r.model == "ref:popularity"), None)
    short = LABELS[split.metric]
    ref_name = reference.model.removeprefix("ref:") if reference else "reference"
    if name not in REFERENCE:
        ref_name += " (best reference)"
    # The headline metric has its own column; the table shows the other two main ones besides recall.
    others = [m for m in ("ndcg_at_k", "mrr_at_k", "precision_at_k") if m != split.metric][:2]
    other_head = " | ".join(f"{LABELS[m]}@{k}" for m in others)
    lines = [
        f"### {name} ({len(split.test_users)} test users, {len(split.targets)} targets, k = {k})",
        "",
        "; ".join(f"{key}: {_note(value)}" for key, value in split.notes.items()),
        "",
        f"| model | {short}@{k} [95% CI] | vs {ref_name} | vs popularity | {other_head} | recall@{k} "
        f"| coverage@{k} | seen items in lists | users served | train s (CPU) | batch s (CPU) |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if row.headline is None:
            continue
        h = row.headline
        vs_ref = _fmt_ratio(_ratio(row, reference))
        lines.append(
            f"| {row.model} | {h.mean:.4f} [{h.low:.4f}, {h.high:.4f}] | {vs_ref} "
            f"| {_fmt_ratio(_ratio(row, popular))} | {' | '.join(f'{row.metrics[m]:.4f}' for m in others)} "
            f"| {row.metrics['recall_at_k']:.4f} | {row.coverage:.3f} "
            f"| {row.seen} | {row.served}/{len(split.test_users)} | {_seconds(row.train_s, row.train_cpu_s)} "
            f"| {_seconds(row.batch_s, row.batch_cpu_s)} |"
        )
    failed = [r for r in rows if r.error]
    if failed:
        lines += ["", *(f"- `{r.model}` skipped: {r.error}" for r in failed)]
    default = next((r for r in rows if r.model == "default" and r.train_output), None)
    if default is not None:
        printout = default.train_output.strip().splitlines()
        lines += ["", "`recommend train` (default) printed:", "", "```", *printout[:40], "```"]
    return "\n".join(lines) + "\n"


def _note(value: Any) -> str:
    return f"{value:.1%}" if isinstance(value, float) else str(value)


def _as_json(name: str, split: RealSplit, rows: list[Row], k: int) -> dict[str, Any]:
    reference = _reference_of(name, rows)
    popular = next((r for r in rows if r.model == "ref:popularity"), None)
    out = []
    for row in rows:
        item: dict[str, Any] = {"model": row.model, "error": row.error or None}
        if row.headline is not None:
            vs_ref, vs_pop = _ratio(row, reference), _ratio(row, popular)
            item |= {
                "metric": split.metric, "k": k, "mean": row.headline.mean,
                "ci": [row.headline.low, row.headline.high],
                "vs_reference": {"reference": reference.model if reference else None, "ratio": vs_ref[0],
                                 "ci": [vs_ref[1], vs_ref[2]]},
                "vs_popularity": {"ratio": vs_pop[0], "ci": [vs_pop[1], vs_pop[2]]},
                "metrics": row.metrics, "coverage": row.coverage, "seen_in_lists": row.seen,
                "users_served": row.served, "sources": row.sources,
            }  # fmt: skip
        item |= {
            "train_s": row.train_s, "train_cpu_s": row.train_cpu_s,
            "batch_s": row.batch_s, "batch_cpu_s": row.batch_cpu_s, "train_output": row.train_output,
        }  # fmt: skip
        out.append(item)
    return {"dataset": name, "notes": split.notes, "test_users": len(split.test_users), "rows": out}


def _model_names(wanted: list[str] | None, quick: bool) -> list[str]:
    """``default`` plus the registry's models (read at run time, so models added later are benchmarked)."""
    names = ["default", *MODELS]
    if wanted is not None:
        unknown = [n for n in wanted if n not in names]
        if unknown:
            raise SystemExit(f"--models: unknown {unknown}; choose from {names}")
        return [n for n in names if n in wanted]
    return ["default"] if quick else names


def _check_split(split: RealSplit) -> None:
    """A target the user already has in the training input would reward recommending seen items."""
    leaked = count_seen(split.targets.assign(rank=1), split.seen)
    if leaked or split.targets.empty:
        raise RuntimeError(f"{split.name}: {leaked} target pairs are in the training input, or no target")


def run_dataset(name: str, models: list[str], k: int | None) -> tuple[str, dict[str, Any]]:
    """Benchmark one data set; the Markdown table and the JSON record."""
    split = DATASETS[name]()
    _check_split(split)
    k = k or split.k
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix=f"recsys-real-{name}-") as tmp:
        folder = Path(tmp)
        _write_inputs(split, folder)
        for model in models:
            row = _cli_row(model, split, folder, k)
            status = row.error or (str(row.headline) if row.headline else "")
            print(
                f"  {name} {model}: train {row.train_s:.1f} s, batch {row.batch_s:.1f} s; {status}",
                file=sys.stderr,
                flush=True,
            )
            rows.append(row)
    rows += _reference_rows(split, k)
    return _table(name, split, rows, k), _as_json(name, split, rows, k)


def _listed(text: str | None) -> list[str] | None:
    return None if text is None else [part.strip() for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    """Run the selected data sets; print Markdown, write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--datasets", help=f"comma-separated, from {', '.join(DATASETS)} (default: all)")
    parser.add_argument("--k", type=int, help="list length and cut-off (default: 10 MovieLens, 25 jobs)")
    parser.add_argument("--models", help="comma-separated: default and/or registry names (default: all)")
    parser.add_argument("--quick", action="store_true", help="the default and the references only")
    parser.add_argument("--out", type=Path, default=OUT, help=f"JSON output (default: {OUT})")
    args = parser.parse_args(argv)
    names = _listed(args.datasets) or list(DATASETS)
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        parser.error(f"--datasets: unknown {unknown}; choose from {list(DATASETS)}")
    if args.k is not None and args.k < 1:
        parser.error(f"--k must be a positive integer; got {args.k}")
    models = _model_names(_listed(args.models), args.quick)
    records = []
    started = time.perf_counter()
    for name in names:
        table, record = run_dataset(name, models, args.k)
        print(table, flush=True)
        records.append(record)
    took = time.perf_counter() - started
    print(f"{len(names)} data set(s) in {took:.0f} s; figures in {args.out}")
    payload = {"seconds": took, "datasets": records}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_text(json.dumps(_finite(payload), indent=1, default=_json_default) + "\n", args.out)
    return 0


def _finite(value: Any) -> Any:
    """NaN (no figure) as JSON null, recursively."""
    if isinstance(value, dict):
        return {key: _finite(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float | np.floating) and np.isnan(value):
        return None
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer | np.floating):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


if __name__ == "__main__":
    raise SystemExit(main())
