# shoporg — the two commands: `make up` and `make test`. Both do all set-up and are idempotent.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STACK  ?= dev
# Stamp files make set-up incremental: re-run only when their inputs change.
INSTALLED := $(VENV)/.installed
ENGINE    := $(BIN)/pulumi-engine

.PHONY: help setup engine stack up preview test lint typecheck unit engine-tests bench clean

help:
	@echo "make up     set everything up and run 'pulumi up' on org.yaml against the sandbox"
	@echo "make test   set everything up and run every test tier (lint, types, unit, engine)"
	@echo "make bench  run the benchmarks (results in benchmarks/RESULTS.md)"

$(INSTALLED): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

setup: $(INSTALLED) engine

# Finds pulumi v3.259.0 (PATH, cache) or builds it from the Go module proxy (minutes, once),
# then writes our launchers into .venv/bin. Cheap when everything is in place.
engine: $(INSTALLED)
	$(BIN)/python -m providers.engine.install --project-root .

stack: setup
	$(BIN)/pulumi stack select --create $(STACK)

up: stack
	$(BIN)/shoporg sandbox init --org org.yaml --demo-creators
	$(BIN)/pulumi up --yes --stack $(STACK)

preview: stack
	$(BIN)/pulumi preview --diff --stack $(STACK)

lint: $(INSTALLED)
	$(BIN)/ruff check providers stacks tests benchmarks

typecheck: $(INSTALLED)
	$(BIN)/mypy

test: setup lint typecheck
	$(BIN)/pytest

bench: setup
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .pulumi-state .pulumi-home .sandbox stacks/Pulumi.dev.yaml
