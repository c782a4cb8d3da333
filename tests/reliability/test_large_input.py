"""``forecast prepare`` streams: an export too big to load whole under a memory limit is still prepared.

The limit is on the address space (``RLIMIT_AS``), set in the child before it starts. DuckDB's default
``memory_limit`` is 80% of the machine's RAM, far above such a limit; the scan still fits because it
aggregates while it reads (memory depends on the number of series, not of line items), but a DuckDB
block allocation can fail near the limit, so ``prepare`` should set ``memory_limit``/``threads`` to stay
well inside it.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from forecasting.billing.large import write_large_cur2

LIMIT = 2 * 2**30  # bytes of address space: the interpreter, pandas, pyarrow and DuckDB take about 1.3 GiB


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 3.6M hourly CUR 2.0 line items in four parts: ~1 GB as a pandas frame."""
    folder = tmp_path_factory.mktemp("large")
    written = write_large_cur2(folder, months=1, parts=4, accounts=40, resources=3)
    assert written.rows > 3_500_000
    return folder


def test_prepare_streams_an_export_larger_than_the_memory_limit(
    export: Path, tmp_path: Path, rel: SimpleNamespace
) -> None:
    out = tmp_path / "series.parquet"
    whole = "import sys, pandas as pd; df = pd.read_parquet(sys.argv[1]); print(len(df))"
    # Both at once: the control (load the export whole) and the real command, under the same limit.
    control = subprocess.Popen([sys.executable, "-c", whole, str(export / "data")], preexec_fn=_limited,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    prepare = subprocess.Popen(
        [str(Path(sys.executable).parent / "forecast"), "prepare", str(export), "-o", str(out),
         "--no-progress"],
        preexec_fn=_limited, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=rel.ROOT,
    )  # fmt: skip
    _, err = control.communicate(timeout=300)
    assert control.returncode != 0, "the export fits in memory whole: make it bigger"
    assert "Memory" in err
    stdout, stderr = prepare.communicate(timeout=300)
    assert prepare.returncode == 0, stderr[-2000:]
    assert "(balanced)" in stdout  # every line item reconciled
    series = pd.read_parquet(out)
    assert series["unique_id"].nunique() == 400  # 40 accounts x 10 services
    assert series["ds"].nunique() == 31
