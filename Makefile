# The one way to do things: make demo, make test, make lint, make bench.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Every dependency, extras included, pinned with hashes: the versions the tests pass with.
LOCK := requirements.lock
PIP := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: install lock demo test test-slow test-all test-browser lint format bench docs clean

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "qaudit needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --require-hashes -r $(LOCK)
	$(PIP) install --quiet --no-deps -e '.[dev,analysis,postgres]'
	touch $(STAMP)

install: $(STAMP)

# Regenerate the lock from pyproject.toml (for every platform, with hashes); pins already in it
# are kept unless `make lock UPGRADE=--upgrade`. uv is a tool for this step only.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --all-extras --generate-hashes --universal \
		--python-version 3.11 --quiet $(UPGRADE) -o $(LOCK)

demo: install
	$(BIN)/qaudit demo

# On every core (pytest-xdist): everything but the tests marked slow (processes racing and
# killed, the attacker's 200 generated stores, random text through every command), which
# test-slow runs; CI (.ci/run) runs both.
test: install
	$(BIN)/python -m pytest -n auto --dist worksteal -m 'not slow and not browser'

test-slow: install
	$(BIN)/python -m pytest -n auto --dist worksteal -m 'slow and not browser'

test-all: test test-slow

# The HTML report in headless Chromium at 420 and 1280 px (installs nothing: apt-get install
# chromium first); the screenshots are left in .browser-screenshots/ to look at.
test-browser: install
	@command -v chromium >/dev/null || test -x /usr/bin/chromium || \
		{ echo "make test-browser needs Chromium: apt-get install chromium" >&2; exit 1; }
	QAUDIT_SCREENSHOTS=$(CURDIR)/.browser-screenshots $(BIN)/python -m pytest -m browser -p no:cacheprovider \
		tests/browser

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
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis .bench \
		.browser-screenshots
	rm -f qaudit-demo.db qaudit-demo.db-wal qaudit-demo.db-shm qaudit-demo.db-journal \
		qaudit-demo-board-*.html qaudit-demo-board-*.xlsx qaudit-demo.fault-*.txt \
		qaudit-demo.db.before-schema-*.backup qaudit-demo.db.before-restore-* \
		.qaudit-demo*.qaudit-*.tmp .qaudit-demo*.qaudit-*.tmp-wal .qaudit-demo*.qaudit-*.tmp-shm
