# Two commands on a fresh machine with Python >= 3.11:
#   make serve   set up .venv if needed, check the data, serve the dashboards with Voila
#                (and the live rooms' join page: python -m explorer serve)
#   make test    set up .venv if needed, run the whole suite (lint, types, unit, data,
#                notebooks, browser)
# and, for analysts, a third:
#   make lab     open the analysis notebooks in JupyterLab (installs it on first use)
# and, past one laptop (docs/operators.md):
#   make serve-replicas   live readers: REPLICAS Voila replicas (default 2) behind HAProxy
#   make hub              analysts: JupyterHub with JupyterLab (deploy/jupyterhub)
# and for contributors: make test-fast (no browser), make docs (the documentation site,
# docs/_build/html/).
#
# Installs come from the lock files in requirements/ (tested versions, with hashes);
# `make lock` refreshes them from the ranges declared in pyproject.toml.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8866
# What serves the dashboards: `make serve` runs it, and so does each of `make serve-replicas`'
# replicas (deploy/proxy/replicas.py appends --port=<p>). Change it here, in one place.
SERVE  ?= $(BIN)/python -m explorer serve notebooks/
REPLICAS ?= 2
PIP    := $(BIN)/python -m pip --disable-pip-version-check
# A relative EXPLORER_DATA means the same to every command and page: relative to here.
export EXPLORER_DATA_BASE := $(CURDIR)

SERVE_STAMP := $(VENV)/.serve-stamp
DEV_STAMP   := $(VENV)/.dev-stamp
LAB_STAMP   := $(VENV)/.lab-stamp
HUB_STAMP   := $(VENV)/.hub-stamp
HUB_DIR     := deploy/jupyterhub
PROXY       := $(HUB_DIR)/node_modules/.bin/configurable-http-proxy
PACKAGE     := pyproject.toml $(wildcard share/jupyter/voila/templates/explorer/*) \
               share/jupyter/kernels/explorer/kernel.json
# One lock for every platform and every Python the project supports (3.11.0 and later):
# uv resolves "universally" and writes environment markers where versions must differ.
LOCK_FLAGS  := --quiet --generate-hashes --universal --python-version 3.11 --no-header

.PHONY: install serve test test-fast lint types lab lock docs notebooks bench clean \
        hub hub-deps bench-hub image serve-replicas bench-replicas

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(SERVE_STAMP): requirements/serve.lock $(PACKAGE) | $(BIN)/python
	$(PIP) install --quiet --require-hashes -r requirements/serve.lock
	$(PIP) install --quiet --no-deps --editable .
	@touch $@

$(DEV_STAMP): requirements/dev.lock $(PACKAGE) | $(BIN)/python
	$(PIP) install --quiet --require-hashes -r requirements/dev.lock
	$(PIP) install --quiet --no-deps --editable .
	@touch $@ $(SERVE_STAMP)

install: $(DEV_STAMP)

serve: $(SERVE_STAMP)
	$(BIN)/python -m explorer validate
	$(SERVE) --port=$(PORT)

# Live readers past one Voila process: REPLICAS copies of $(SERVE) behind HAProxy on PORT
# (cookie affinity, health checks); EXPLORER_ROOM_DB and EXPLORER_DATA reach every replica.
serve-replicas: $(SERVE_STAMP)
	@sh scripts/ensure-haproxy
	$(BIN)/python -m explorer validate
	$(BIN)/python deploy/proxy/replicas.py --replicas $(REPLICAS) --port $(PORT) \
	    --serve "$(SERVE)"

lint: $(DEV_STAMP)
	$(BIN)/ruff check explorer tests bench analysis conftest.py deploy docs
	$(BIN)/lint-imports --no-cache

types: $(DEV_STAMP)
	$(BIN)/mypy explorer

# Everything: lint, types, unit and data specifications, notebooks (strict), real browser.
# Two workers (pytest-xdist), one per core here; --dist loadfile keeps each file on one
# worker, so a notebook's cells run in order in one kernel and a module's shared fixture (a
# hub, a pair of replicas, a built site) is built once; --no-loadscope-reorder keeps the
# collected order, longest files first (conftest.py). TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
PYTEST_WORKERS = $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder)
test: lint types hub-deps
	@sh scripts/ensure-chromium
	@sh scripts/ensure-postgresql
	@sh scripts/ensure-haproxy
	$(BIN)/python -m pytest $(PYTEST_WORKERS) --nbval-lax tests notebooks analysis

# The quick loop while working: everything but the browser suite.
test-fast: lint types
	@sh scripts/ensure-postgresql
	$(BIN)/python -m pytest $(PYTEST_WORKERS) --nbval-lax -m "not browser" tests notebooks analysis

$(LAB_STAMP): $(DEV_STAMP)
	$(PIP) install --quiet "jupyterlab>=4.2,<5" "jupytext==1.19.6"
	@touch $@

# As root (a container, a CI machine) Jupyter refuses to start without --allow-root.
lab: $(LAB_STAMP)
	$(BIN)/jupyter lab analysis/ $(if $(filter 0,$(shell id -u)),--allow-root)

lock: | $(BIN)/python
	$(PIP) install --quiet uv==0.13.9
	$(BIN)/uv pip compile $(LOCK_FLAGS) -o requirements/serve.lock pyproject.toml
	$(BIN)/uv pip compile $(LOCK_FLAGS) --extra dev -o requirements/dev.lock pyproject.toml
	$(BIN)/uv pip compile $(LOCK_FLAGS) --extra hub -o requirements/hub.lock pyproject.toml

# The documentation site (docs/: Sphinx, MyST, pydata-sphinx-theme), built offline with warnings
# as errors: a broken link or reference, or a figure no result record holds, fails it. Build
# output, not committed; open docs/_build/html/index.html. DOCS_OUT=dir builds it elsewhere.
# The test suite builds it too (tests/test_docs_site.py).
DOCS_OUT    ?= docs/_build/html

docs: $(DEV_STAMP)
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs $(DOCS_OUT)
	@echo "Documentation: $(DOCS_OUT)/index.html"

notebooks: $(DEV_STAMP)
	$(BIN)/python -m explorer notebooks

bench: $(DEV_STAMP)
	@sh scripts/ensure-chromium
	$(BIN)/python bench/load.py

# JupyterHub: the `hub` extra from requirements/hub.lock, and configurable-http-proxy from npm
# (the version in deploy/jupyterhub/package-lock.json). Without npm the hub tests fail and say
# what to install.
$(HUB_STAMP): requirements/hub.lock $(PACKAGE) | $(BIN)/python
	$(PIP) install --quiet --require-hashes -r requirements/hub.lock
	$(PIP) install --quiet --no-deps --editable .
	@touch $@

$(PROXY): $(HUB_DIR)/package.json $(HUB_DIR)/package-lock.json
	npm ci --prefix $(HUB_DIR) --no-audit --no-fund --loglevel=error
	@touch $@

hub-deps: $(HUB_STAMP)
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(PROXY); \
	else echo "npm not found: JupyterHub needs configurable-http-proxy from npm." \
	          "Install Node >= 20 and npm (e.g. apt-get install nodejs npm), then: make hub-deps" >&2; fi

hub: hub-deps
	$(BIN)/python -m explorer validate
	$(BIN)/jupyterhub -f $(HUB_DIR)/jupyterhub_config.py

bench-hub: $(DEV_STAMP) hub-deps
	$(BIN)/python bench/hub.py

bench-replicas: $(DEV_STAMP)
	@sh scripts/ensure-haproxy
	$(BIN)/python bench/replicas.py

# The container image (deploy/container), built with podman; see docs/operators.md.
image:
	sh deploy/container/build-local.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache test-artifacts build dist \
	       docs/_build docs/_generated \
	       $(HUB_DIR)/node_modules
