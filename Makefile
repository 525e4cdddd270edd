# mfa-archive: `make demo` and `make test` set everything up themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install demo test lint bench clean

# A virtual environment with the package (editable) and its dev and bench
# extras; redone when pyproject.toml changes.
$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

install: $(INSTALLED)

# The main job on the offline replica: serve it, crawl it into a fresh
# SQLite archive (data/demo.db), print the summary and a sample search.
demo: $(INSTALLED)
	PATH="$(abspath $(BIN)):$$PATH" bash scripts/demo.sh

# Lint, migrations in step with the models, and the whole test suite.
test: $(INSTALLED) lint
	mkdir -p data && rm -f data/alembic-check.db*
	MFA_ARCHIVE_DB=sqlite:///data/alembic-check.db $(BIN)/alembic upgrade head
	MFA_ARCHIVE_DB=sqlite:///data/alembic-check.db $(BIN)/alembic check
	rm -f data/alembic-check.db*
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Benchmarks (see bench/README.md); figures are ratios against references
# measured in the same run.
bench: $(INSTALLED)
	$(BIN)/python bench/parse_throughput.py
	$(BIN)/python bench/crawl_throughput.py
	$(BIN)/python bench/dedup_quality.py
	$(BIN)/python bench/dedup_lookup.py
	$(BIN)/python bench/refresh_cost.py
	$(BIN)/python bench/archive_scale.py
	$(BIN)/python bench/faults.py
	$(BIN)/python bench/reparse.py

clean:
	rm -rf $(VENV) data build *.egg-info .pytest_cache .ruff_cache .hypothesis
