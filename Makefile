# Two entry points from a fresh clone: `make demo` and `make test` (see README).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint dashboard browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## Install, then build the warehouse from the bundled offline demo web.
demo: $(STAMP)
	$(BIN)/blocwatch demo

## Install everything (Python packages and Debian's chromium), then run the whole suite.
test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

## Debian's chromium for the browser tests (Playwright drives it; no browser download).
browser:
	@scripts/install-chromium.sh

dashboard: $(STAMP)
	$(BIN)/blocwatch dashboard

clean:
	rm -rf data test-output .pytest_cache
