# Set-up is part of every target: a fresh machine needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench clean

# Installing prints only errors (-qq): a user of `make run` wants the demo, not pip's progress.
$(BIN)/python:
	@echo "threadsim: creating $(VENV) (first time only)"
	@$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "threadsim: installing threadsim and its dependencies into $(VENV) (about a minute)"
	@$(BIN)/python -m pip install -qq --upgrade pip
	@$(BIN)/python -m pip install -qq -e '.[test,bench,plot]'
	@touch $(STAMP)

run: $(STAMP)
	@$(BIN)/threadsim run scenarios/rr-textbook.yaml
	@echo
	@echo "threadsim is installed in $(VENV): run it as $(BIN)/threadsim, or first '. $(BIN)/activate' and then threadsim"

test: $(STAMP)
	$(BIN)/ruff format --check simulator tests bench
	$(BIN)/ruff check simulator tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest

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
