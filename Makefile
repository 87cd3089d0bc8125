# The one way to do things: make demo, make test, make lint, make bench.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint format bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "qaudit needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/qaudit demo

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/ruff format --check src tests scripts bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix src tests scripts bench
	$(BIN)/ruff format src tests scripts bench

bench: install
	$(BIN)/python bench/run.py

docs: install
	$(BIN)/python scripts/cli_reference.py --write README.md

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis .bench
	rm -f qaudit-demo.db qaudit-demo.db-wal qaudit-demo.db-shm qaudit-demo.db-journal \
		qaudit-demo-board-*.html qaudit-demo-board-*.xlsx qaudit-demo.fault-*.txt \
		qaudit-demo.db.before-schema-*.backup qaudit-demo.db.before-restore-* \
		.qaudit-demo*.qaudit-*.tmp .qaudit-demo*.qaudit-*.tmp-wal .qaudit-demo*.qaudit-*.tmp-shm
