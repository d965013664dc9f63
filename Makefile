# Two commands on a fresh machine with Python >= 3.11:
#   make serve   set up .venv if needed, check the data, serve the dashboards with Voila
#   make test    set up .venv if needed, run the whole suite (lint, unit, data, notebooks, browser)
#   make hub     JupyterHub for many live viewers (deploy/jupyterhub), installing what it needs

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8866

HUB_DIR   := deploy/jupyterhub
HUB_STAMP := $(VENV)/.hub-stamp
PROXY     := $(HUB_DIR)/node_modules/.bin/configurable-http-proxy

.PHONY: install serve test lint bench clean hub hub-deps bench-hub image

$(STAMP): pyproject.toml $(wildcard share/jupyter/voila/templates/explorer/*)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/python -m explorer validate
	$(BIN)/voila notebooks/ --port=$(PORT)

lint: $(STAMP)
	$(BIN)/ruff check explorer tests bench deploy

test: $(STAMP) lint hub-deps
	@sh scripts/ensure-chromium
	$(BIN)/python -m pytest --nbval-lax tests notebooks

bench: $(STAMP)
	@sh scripts/ensure-chromium
	$(BIN)/python bench/load.py

# JupyterHub: the `hub` extra in .venv, and configurable-http-proxy from npm (the versions in
# deploy/jupyterhub/package-lock.json). Without npm the hub tests fail and say what to install.
$(HUB_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet --editable ".[hub]"
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

bench-hub: hub-deps
	@sh scripts/ensure-chromium
	$(BIN)/python bench/hub.py

# The container image (deploy/container), built with podman; see README "Deploying".
image:
	sh deploy/container/build-local.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts build dist $(HUB_DIR)/node_modules
