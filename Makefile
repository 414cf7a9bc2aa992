# Entente — the index of commands. `make run` and `make test` are the two that matter.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
TOOLS := .cache/tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help setup contracts-tools run test lint typecheck unit bench compose-smoke stack-start stack-stop clean

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==0.13.9

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

setup: $(VENV)/.synced ## Create .venv and install the locked dependencies

CONTRACTS := deploy/contracts/node_modules/.stamp
$(CONTRACTS): deploy/contracts/package.json deploy/contracts/package-lock.json
	npm ci --prefix deploy/contracts --no-audit --no-fund
	@touch $@

contracts-tools: $(CONTRACTS) ## Install the AsyncAPI parser (npm, locked)

run: setup ## Serve the whole platform (embedded default) with sample data on http://127.0.0.1:8000
	$(BIN)/entente serve --host $(HOST) --port $(PORT) --sample-data

lint: setup ## ruff (lint and format check)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup ## mypy --strict
	$(BIN)/mypy shared services tests

unit: setup ## The tests that need no server
	$(BIN)/pytest -q tests/unit

test: setup contracts-tools lint typecheck ## Lint, type-check, every test on the real local stack, then the compose smoke test
	deploy/local/run-tests.sh $(BIN)/pytest -q $(PYTEST_ARGS)
	deploy/standin/smoke.sh

bench: setup ## Benchmarks on the real stack (PostgreSQL, Kafka) → docs/performance.md; QUICK=1: ~2 min
	ENTENTE_TEST_SERVICES="postgres kafka" QUICK=$(QUICK) deploy/local/run-tests.sh $(BIN)/python -m bench

compose-smoke: setup ## Build the image, run docker-compose.yml for real and use it as each user (deploy/standin)
	deploy/standin/smoke.sh

stack-start: ## Start the local PostgreSQL (no Docker needed)
	deploy/local/stack.sh start postgres

stack-stop: ## Stop the local stack
	deploy/local/stack.sh stop

clean: ## Remove the embedded default's data (events, views, dev key)
	rm -rf .entente
