# Two commands run everything: `make demo` (the main job on bundled sample data) and
# `make test` (the whole suite). Each creates .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BENCH_SIZES ?= 10000 100000
BENCH_DAILY_SIZES ?= 100000 300000
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint format bench chaos serve clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

demo: $(STAMP)
	$(BIN)/claimguard demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy flows tasks rules deployments
	$(BIN)/lint-imports --no-logo --no-cache

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

serve: $(STAMP)
	$(BIN)/python -m deployments.local

bench: $(STAMP)
	$(BIN)/python benchmarks/intake_throughput.py
	$(BIN)/python benchmarks/checks_throughput.py
	$(BIN)/python benchmarks/daily_intake.py --claims $(BENCH_DAILY_SIZES)
	$(BIN)/python benchmarks/remit_throughput.py
	$(BIN)/python benchmarks/main_job.py --sizes $(BENCH_SIZES)

chaos: $(STAMP)
	$(BIN)/python benchmarks/chaos.py $(CHAOS_ARGS)

clean:
	rm -rf $(VENV) .claimguard demo-out .pytest_cache .mypy_cache .ruff_cache
