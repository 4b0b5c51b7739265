# The README's two commands: `make run` serves the demo, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint format system-tools clean

$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## run: install, create or upgrade the SQLite database, load the demo if empty, serve it,
## with the job queue's worker (print runs; queue in instance/queue.sqlite) beside it
# FLASK_RUN_HOST/PORT: `flask run` serves there, and links printed by a command name it too
# (a link made in a request names the address that request came to; CONFAPP_BASE_URL wins).
run: export FLASK_RUN_HOST = $(HOST)
run: export FLASK_RUN_PORT = $(PORT)
run: $(RUN_STAMP)
	$(BIN)/flask --app confapp setup
	@echo
	@echo "confapp is serving the demo at http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	@echo
	$(BIN)/flask --app confapp worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	CONFAPP_SECURE_COOKIES=0 $(BIN)/flask --app confapp run --host $(HOST) --port $(PORT)

## test: install the test tools (Chromium, poppler) if missing, run the whole suite
test: $(TEST_STAMP) system-tools
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

# Debian packages the tests drive: Chromium (browser tests), poppler (reads PDFs back),
# and the Pango that WeasyPrint renders with. Installed only where missing.
SYSTEM_TOOLS := chromium:chromium pdftotext:poppler-utils
system-tools:
	@missing=""; for pair in $(SYSTEM_TOOLS); do \
		command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair##*:}"; done; \
	ldconfig -p 2>/dev/null | grep -q libpango-1.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	if [ -n "$$missing" ]; then \
		echo "Installing$$missing ..."; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(TEST_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) build *.egg-info
