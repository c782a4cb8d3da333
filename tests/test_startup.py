"""Start-up cost: building the parsers and every ``--help`` import no heavy library.

Each check runs in a fresh interpreter (``sys.modules`` of the test process already holds everything) and
lists the forbidden top-level packages it finds after the work. The registries whose names the parsers
show are checked against the light modules that hold those names.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import forecasting.cli as forecasting_cli
import recsys.cli as recsys_cli

# Libraries a parser must not load: seconds of start-up each, paid by every command and every --help.
# pandas is allowed (the commands read tables), though the parsers do not need it either.
FORBIDDEN = ("statsmodels", "lightgbm", "sklearn", "implicit", "dask", "distributed", "scipy", "matplotlib")
REAL_CUR = (
    Path(__file__).parents[1] / "data" / "real_bills" / "aws_cur_legacy_anonymized_sample_2023-11.csv.gz"
)

# Builds both parsers, prints every --help (top level and each sub-command) into a buffer, then reports
# which forbidden packages were imported and how many help texts were printed.
_HELP_SCRIPT = """
import contextlib, io, json, sys
import forecasting.cli, recsys.cli

shown = []
for cli in (forecasting.cli, recsys.cli):
    parser = cli.build_parser()
    for argv in ([], *([name] for name in cli.COMMANDS)):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            cli.main([*argv, "--help"])
        shown.append(out.getvalue())
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.argv[1])))
print(json.dumps({"loaded": loaded, "helps": [len(text) for text in shown]}))
"""


def _python(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_parsers_and_every_help_import_no_heavy_library() -> None:
    result = json.loads(_python("-c", _HELP_SCRIPT, json.dumps(FORBIDDEN)).splitlines()[-1])
    assert result["loaded"] == []
    # Each command line's top level and every sub-command printed a real help text.
    assert len(result["helps"]) == 2 + len(forecasting_cli.COMMANDS) + len(recsys_cli.COMMANDS)
    assert min(result["helps"]) > 200


def test_help_lists_the_registry_names_it_no_longer_imports() -> None:
    """The choices come from the light modules, yet say what the registries hold."""
    from forecasting.billing.detect import FORMATS
    from forecasting.cli import build_parser as forecast_parser
    from forecasting.measures import MEASURES
    from forecasting.models import MODELS
    from recsys.cli import build_parser as recommend_parser
    from recsys.split import SPLITS

    sub = forecast_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    run_help = sub["run"].format_help()
    assert f"comma list from {', '.join(MODELS)}" in " ".join(run_help.split())
    actions = {a.dest: a for a in sub["prepare"]._actions}
    assert list(actions["format"].choices) == ["auto", *FORMATS]
    assert list(actions["measure"].choices) == list(MEASURES)
    rec = recommend_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    protocol = {a.dest: a for a in rec["evaluate"]._actions}["protocol"]
    assert list(protocol.choices) == sorted(SPLITS)


def test_registries_agree_with_their_light_names() -> None:
    from forecasting.billing.detect import FORMATS
    from forecasting.models import MODELS
    from forecasting.options import FORMAT_NAMES, MODEL_NAMES
    from recsys.options import SPLIT_NAMES
    from recsys.split import SPLITS, leave_last_split, personalize_split, temporal_split

    # Each model's alias is its registry name: a reordered MODEL_NAMES would give ets the theta class.
    assert {name: factory.alias for name, factory in MODELS.items()} == {n: n for n in MODEL_NAMES}  # type: ignore[attr-defined]
    assert tuple(FORMATS) == FORMAT_NAMES
    assert all(FORMATS[name].name == name for name in FORMAT_NAMES)
    assert {
        "personalize": personalize_split,
        "leave-last": leave_last_split,
        "temporal": temporal_split,
    } == SPLITS
    assert tuple(SPLITS) == SPLIT_NAMES


@pytest.mark.skipif(not REAL_CUR.exists(), reason="real legacy CUR sample not in data/real_bills")
def test_prepare_imports_no_model_library(tmp_path: Path) -> None:
    """``forecast prepare`` needs pandas, DuckDB and pyarrow, not the forecasting models."""
    script = (
        "import json, sys\n"
        "from forecasting.cli import main\n"
        "rc = main(sys.argv[1:4])\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & set(json.loads(sys.argv[4])))\n"
        "print(json.dumps({'rc': rc, 'loaded': loaded}))\n"
    )
    out = tmp_path / "series.parquet"
    lines = _python("-W", "ignore", "-c", script, "prepare", str(REAL_CUR), f"-o{out}", json.dumps(FORBIDDEN))
    result = json.loads(lines.splitlines()[-1])
    assert result == {"rc": 0, "loaded": []}
    assert out.stat().st_size > 0
