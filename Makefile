# The two commands of the README: `make run` and `make test`. Everything installs into .venv from
# this repository's own files (pyproject.toml), so a fresh clone needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench docs gallery clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/quorumsim run scenarios/quickstart.yaml --out results/quickstart/latest
	$(BIN)/quorumsim plot results/quickstart/latest
	@echo "results: results/quickstart/latest (plots in results/quickstart/latest/plots/)"
	$(BIN)/quorumsim run scenarios/seed-split-brain.yaml --trace --quiet --out results/seed-split-brain/latest
	$(BIN)/quorumsim replay results/seed-split-brain/latest
	@echo "replay: open results/seed-split-brain/latest/replay.html in a browser (a split brain unfolding)"

test: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks examples
	$(BIN)/ruff format --check sim tests benchmarks examples
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks examples
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format sim tests benchmarks
	$(BIN)/ruff check --fix sim tests benchmarks

docs: $(STAMP)
	$(BIN)/python -m sim.scenario.reference

gallery: $(STAMP)
	$(BIN)/python -m sim.experiment.gallery

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# Only what the build and the runs made: the venv, the caches, and the run directories under
# results/ that git ignores (results/reference/ is tracked and stays).
clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
	git clean -fdXq results
