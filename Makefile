# Set-up is part of every target: a fresh machine needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-slow lint format bench clean

# Installing prints only errors (-qq): a user of `make run` wants the demo, not pip's progress.
$(BIN)/python:
	@echo "threadsim: creating $(VENV) (first time only)"
	@$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml Makefile | $(BIN)/python
	@echo "threadsim: installing threadsim and its dependencies into $(VENV) (about a minute)"
	@$(BIN)/python -m pip install -qq --upgrade pip
	@$(BIN)/python -m pip install -qq -e '.[test,bench,plot,dask,pandas]'
	@touch $(STAMP)

# Ray (explore --executor ray) is about 250 MB: only `make test-slow` installs it. Dask (about 50 MB, seconds
# to install) is in every venv, so that `make test` runs explore on a Dask cluster in the test process.
$(VENV)/.installed-ray: $(STAMP)
	@echo "threadsim: installing ray into $(VENV) (about 250 MB, first time only)"
	@$(BIN)/python -m pip install -qq -e '.[ray]'
	@touch $@

run: $(STAMP)
	@$(BIN)/threadsim run scenarios/rr-textbook.yaml
	@echo
	@echo "threadsim is installed in $(VENV): run it as $(BIN)/threadsim, or first '. $(BIN)/activate' and then threadsim"

test: $(STAMP)
	$(BIN)/ruff format --check simulator tests bench
	$(BIN)/ruff check simulator tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest

# The tests marked slow (pyproject.toml: each takes seconds, such as starting a Ray or Dask cluster).
test-slow: $(VENV)/.installed-ray
	$(BIN)/python -m pytest -m slow

lint: $(STAMP)
	$(BIN)/ruff format --check simulator tests bench
	$(BIN)/ruff check simulator tests bench
	$(BIN)/mypy

# The formatter: `make format` rewrites, `make test` and `make lint` check.
format: $(STAMP)
	$(BIN)/ruff format simulator tests bench

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
