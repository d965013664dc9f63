# Two commands on a fresh machine with Python >= 3.11:
#   make serve   set up .venv if needed, check the data, serve the dashboards with Voila
#   make test    set up .venv if needed, run the whole suite (lint, unit, data, notebooks, browser)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8866

.PHONY: install serve test lint bench clean

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
	$(BIN)/ruff check explorer tests bench

test: $(STAMP) lint
	@sh scripts/ensure-chromium
	$(BIN)/python -m pytest --nbval-lax tests notebooks

bench: $(STAMP)
	@sh scripts/ensure-chromium
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts build dist
