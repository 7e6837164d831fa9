# Two commands run everything: `make demo` (the main job on bundled sample data) and
# `make test` (the whole suite). Each creates .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BENCH_SIZES ?= 10000 100000
BENCH_DAILY_SIZES ?= 100000 300000
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

# Test processes: one per core (pytest-xdist); a file's tests stay in one process so its
# module-scoped fixtures (a demo run, generated X12) are built once.
PYTEST_WORKERS ?= auto
XDIST := -n $(PYTEST_WORKERS) --dist loadfile
# The inner loop: rules, intake and the claim database on SQLite (no Prefect, no PostgreSQL).
FAST_TESTS := tests/rules tests/tasks/intake tests/tasks/db tests/tasks/test_corpus.py \
	tests/tasks/test_checking.py tests/test_layout.py

.PHONY: demo test test-fast lint format bench chaos fuzz serve clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

demo: $(STAMP)
	$(BIN)/claimguard demo

test: $(STAMP)
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

test-fast: $(STAMP)
	CLAIMGUARD_TEST_POSTGRES_URL= $(BIN)/python -m pytest $(XDIST) -m "not prefect" -r fE $(FAST_TESTS) $(PYTEST_ARGS)

# The X12 mutation test, thousands of mutated samples instead of the suite's 25.
FUZZ_EXAMPLES ?= 3000
fuzz: $(STAMP)
	CLAIMGUARD_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q tests/tasks/x12/test_never_crash.py

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
	$(BIN)/python benchmarks/quarantine_cost.py
	$(BIN)/python benchmarks/x12_corpus_throughput.py
	$(BIN)/python benchmarks/main_job.py --sizes $(BENCH_SIZES)

chaos: $(STAMP)
	$(BIN)/python benchmarks/chaos.py $(CHAOS_ARGS)

clean:
	rm -rf $(VENV) .claimguard demo-out .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
