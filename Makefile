# hopia — the two commands: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export OMP_WAIT_POLICY ?= passive

.PHONY: demo test lint typecheck system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Core install (what a user needs for the demo).
$(VENV)/.core: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# Everything: Spark extra and the development tools.
$(VENV)/.all: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[spark,dev]'
	touch $(VENV)/.core $@

system-deps:
	bash scripts/system-deps.sh

demo: $(VENV)/.core
	$(BIN)/hopia demo

lint: $(VENV)/.all
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(VENV)/.all
	$(BIN)/mypy

test: system-deps $(VENV)/.all lint
	HOPIA_THREADS=1 $(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) hopia-data .pytest_cache
