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

.PHONY: help setup engine stack up preview check test test-py test-latest lint lock lock-check typecheck bench clean dist

help:
	@echo "make up     set everything up and run 'pulumi up' on org.yaml against the sandbox"
	@echo "make test   set everything up and run every test tier (lint, types, unit, engine)"
	@echo "make check  the inner loop: lint, types and the unit tier (no engine), about 65-80 s"
	@echo "make bench  run the benchmarks (results in benchmarks/RESULTS.md)"
	@echo "make dist   build the wheel a company installs (README: Your own repository)"
	@echo "make lifecycle  the lifecycle model's long run: 100 days of a 40-person company (docs/lifecycle.md)"

# The whole dependency set (runtime + test, Python 3.11-3.13) is pinned with hashes in
# requirements.lock, so a fresh clone installs exactly what CI passed with. uv is itself in
# the lock: pip installs uv's pinned wheel, then uv installs the rest (see DECISIONS.md for
# the measured difference). Bytecode is compiled at install: with PYTHONDONTWRITEBYTECODE
# set (as on our machines) every Python process would otherwise compile pulumi, grpc and
# pydantic from source again — each engine run starts three (docs/testing.md).
LOCK       := requirements.lock
LOCK_FLAGS := --extra test --universal --python-version 3.11 --generate-hashes \
              --no-emit-index-url --no-emit-find-links --custom-compile-command 'make lock'
# The Python SDK is locked to the engine version we test with (one source: the engine package).
ENGINE_VERSION := $(shell sed -n 's/^ENGINE_VERSION = "\(.*\)"/\1/p' providers/engine/__init__.py)

$(INSTALLED): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@sed -n '/^uv==/,/[^\\]$$/p' $(LOCK) > $(VENV)/uv.req
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r $(VENV)/uv.req
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --require-hashes --compile-bytecode $(LOCK)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q -j 0 providers stacks >/dev/null
	@# mypy does not run the editable install's import hook: it reads providers/ as the
	@# shoporg package through this link (pyproject: [tool.mypy] mypy_path).
	@mkdir -p build/typecheck && ln -sfn ../../providers build/typecheck/shoporg
	@touch $@

# Refresh the lock after editing pyproject.toml (keeps every other pin as it is);
# `make lock UPGRADE=1` moves everything to the newest versions the ranges allow.
lock:
	@test -x $(BIN)/uv || { test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); $(BIN)/python -m pip install --quiet uv; }
	echo "pulumi==$(ENGINE_VERSION)" > $(VENV)/engine-constraint.txt
	$(BIN)/uv pip compile --quiet pyproject.toml $(LOCK_FLAGS) \
	    --constraint $(VENV)/engine-constraint.txt $(if $(UPGRADE),--upgrade) -o $(LOCK)

# Fails when pyproject.toml and requirements.lock disagree (CI runs it through `make test`).
lock-check: $(INSTALLED)
	@cp $(LOCK) $(VENV)/lock-check.txt
	@echo "pulumi==$(ENGINE_VERSION)" > $(VENV)/engine-constraint.txt
	@$(BIN)/uv pip compile --quiet pyproject.toml $(LOCK_FLAGS) \
	    --constraint $(VENV)/engine-constraint.txt -o $(VENV)/lock-check.txt
	@diff -u $(LOCK) $(VENV)/lock-check.txt \
	    || { echo "requirements.lock is out of date with pyproject.toml: run 'make lock'"; exit 1; }

setup: $(INSTALLED) engine

# Finds pulumi v3.259.0 (PATH, cache) or builds it from the Go module proxy (minutes, once),
# then writes our launchers into .venv/bin. Cheap when everything is in place.
engine: $(INSTALLED)
	$(BIN)/python -m shoporg.engine.install --project-root .

# The wheel a company installs (`pipx install dist/shoporg-*.whl`, `uv tool install ...`): the
# package `shoporg` with its templates and the engine's Go module (README: "Your own repository").
dist: $(INSTALLED)
	$(BIN)/uv build --wheel --out-dir dist .

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

# pytest-xdist, three workers on these two cores: an engine case waits on its engine and
# plugins part of the time, and a third worker fills those gaps (measured: docs/testing.md).
# `loadfile` keeps a module's tests on one worker in file order (an engine module is often one
# ops team's week on one project); the modules go out in collection order, longest first
# (tests/conftest.py), not pytest-xdist's by-count order.
XDIST ?= -n 3 --dist loadfile --no-loadscope-reorder

# The inner loop: everything that needs no engine. mypy runs beside the unit tier (a cold
# mypy is about 20 s of one core, which the pytest workers leave idle at times); its output
# follows pytest's, and either failing fails the target.
check: $(INSTALLED) lint
	@$(BIN)/mypy > $(VENV)/mypy.out 2>&1 & mypy=$$!; \
	SHOPORG_QUICK_FUZZ=1 $(BIN)/pytest -q -m "not engine" $(XDIST); tests=$$?; \
	wait $$mypy; types=$$?; cat $(VENV)/mypy.out; \
	test $$tests -eq 0 && test $$types -eq 0

# Every tier, under branch coverage of providers/ (every process the tests start is measured:
# [tool.coverage.run] in pyproject.toml); fails below the floor there (fail_under). The 30
# slowest phases and the 30 modules that used the most CPU close the log: the profile
# docs/testing.md keeps.
test: setup lock-check lint typecheck
	@rm -f .coverage .coverage.*
	COVERAGE_FILE=$(CURDIR)/.coverage $(BIN)/coverage run -m pytest $(XDIST) --durations=30 --cpu-top=30
	@COVERAGE_FILE=$(CURDIR)/.coverage $(BIN)/coverage combine --quiet
	@echo "branch coverage of providers/ (floor: fail_under in pyproject.toml):"
	@COVERAGE_FILE=$(CURDIR)/.coverage $(BIN)/coverage report --format=total

# Python versions other than the one CI runs fully on: the unit tiers (no engine) only, with
# the bad-input fuzzers at a tenth of their examples (as `make check`): these runs prove the
# code works on that Python; the full 2,100 mutations are `make test`'s evidence, once.
# `make test-py PY=3.13` uses pyenv's newest 3.13.x (else python3.13) in .venv-3.13.
PY_FOR = $$(p=$$(ls -d $$HOME/.pyenv/versions/$(1).* 2>/dev/null | sort -V | tail -1); \
            if [ -n "$$p" ]; then echo $$p/bin/python; else command -v python$(1); fi)
test-py:
	@test -n "$(PY)" || { echo "usage: make test-py PY=3.12"; exit 2; }
	$(MAKE) --no-print-directory VENV=.venv-$(PY) PYTHON="$(call PY_FOR,$(PY))" .venv-$(PY)/.installed
	SHOPORG_QUICK_FUZZ=1 .venv-$(PY)/bin/pytest -q -m "not engine" -p no:cacheprovider $(XDIST)

# Not part of `make test`: the newest versions the ranges in pyproject.toml allow, unlocked.
# Tells early what the next `make lock UPGRADE=1` will bring; may fail without blocking.
test-latest:
	@test -x .venv-latest/bin/python || $(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install --quiet --upgrade -e '.[test]'
	.venv-latest/bin/pytest -q -m "not engine" $(XDIST)

bench: setup
	$(BIN)/python -m benchmarks.run

# Issue 28's lifecycle model, long: a 40-person company on TOP (the sandbox's endpoint) and
# the ledger for SHOPORG_LIFECYCLE_DAYS simulated days (default 100), one seeded simulation
# (SHOPORG_LIFECYCLE_SEED, default 28); its numbers and any finding go to docs/lifecycle.md.
.PHONY: lifecycle
lifecycle: setup
	SHOPORG_LIFECYCLE_DAYS=$${SHOPORG_LIFECYCLE_DAYS:-100} $(BIN)/pytest -q -n0 -p no:cacheprovider \
	  tests/engine/test_lifecycle_model.py

clean:
	rm -rf $(VENV) .venv-* .pulumi-state .pulumi-home .sandbox stacks/Pulumi.dev.yaml .coverage .coverage.*
