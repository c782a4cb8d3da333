# costrec: the two commands a newcomer needs are `make demo` and `make test`.
# Everything installs into .venv through uv, pinned by uv.lock; the machine only needs python3, make and git.

PYTHON ?= python3
export UV_PYTHON_DOWNLOADS := never
# Installed packages are compiled to bytecode once at install time: otherwise every command compiles
# scikit-learn, pandas and friends again wherever Python may not write __pycache__ (seconds per start).
export UV_COMPILE_BYTECODE := 1
export UV_PYTHON := $(shell command -v $(PYTHON))
# uv's own PyPI package runs as `python -m uv`, so no PATH edits are needed after `pip install uv`.
UV := $(PYTHON) -m uv
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.costrec-synced
OUT ?= out

.PHONY: help venv demo test lab bench data fuzz browser clean

help:
	@echo "make demo   set up .venv, forecast the sample bills and recommend jobs on the sample board (writes $(OUT)/)"
	@echo "make test   set up .venv, then ruff, mypy and the whole test suite (unit, notebooks, browser)"
	@echo "make lab    open JupyterLab on notebooks/ with the project's environment"
	@echo "make bench  run the benchmarks in benchmarks/ (figures go to benchmarks/README.md)"
	@echo "make data   regenerate data/ from the seeded generators"
	@echo "make fuzz   run the long hypothesis fuzzing profile"

# Re-sync only when the lock or the project metadata changed: a second `make test` spends seconds here.
$(STAMP): uv.lock pyproject.toml
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv \
		|| $(PYTHON) -m pip install --quiet --user --break-system-packages uv
	$(UV) sync --frozen
	@touch $@

venv: $(STAMP)

# The browser test drives Debian's Chromium; install it when it is missing and we may (root, apt-get present).
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "installing Debian chromium for the browser test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# The demo is the commands a user would type: a batch cost forecast with fan charts, then batch job
# recommendations (new jobs included) for every user of the sample board.
demo: $(STAMP)
	$(BIN)/forecast run data/bills/cur2 -o $(OUT)/forecast --horizon 30 --no-progress
	$(BIN)/recommend train data/jobs/events.csv --users data/jobs/users.csv --items data/jobs/jobs.csv \
		-o $(OUT)/model --weights view=1,click=2,apply=5
	$(BIN)/recommend batch $(OUT)/model -o $(OUT)/recommendations.csv --users data/jobs/users.csv \
		--items data/jobs/jobs.csv --k 25 --as-of 2024-04-30 --no-progress
	@echo
	@echo "outputs:"
	@echo "  $(OUT)/forecast/forecasts.parquet      P10/P50/P90 per series for the next 30 days"
	@echo "  $(OUT)/forecast/summary.json           leaderboard, chosen model per series, timings"
	@echo "  $(OUT)/forecast/plots/                 fan charts of the costliest series"
	@echo "  $(OUT)/recommendations.csv             top-25 jobs per user (user_id, rank, item_id, score, source)"

test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest --doctest-modules costrec metrics forecasting recsys tests --nbmake notebooks

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

bench: $(STAMP)
	# --inexact adds the benchmark-only packages without removing anything; `make test` does not need them.
	$(UV) sync --frozen --inexact --group bench
	$(BIN)/python benchmarks/run_all.py

data: $(STAMP)
	$(BIN)/python -m forecasting.synthetic --out data/bills
	$(BIN)/python -m recsys.synthetic --out data/jobs

fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest tests -m "not slow" -k fuzz -p no:cacheprovider

clean:
	rm -rf $(VENV) $(OUT) .mypy_cache .ruff_cache .pytest_cache .hypothesis
