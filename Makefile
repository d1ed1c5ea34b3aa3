# One entry point for people and CI. `make test` works on a fresh clone with nothing installed by hand.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test test-slow test-all lint lock clean bench

NODE_CLIENTS := tests/ingest/node_clients
NODE_STAMP   := $(NODE_CLIENTS)/node_modules/.installed

setup: $(STAMP) $(NODE_STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	# --compile-bytecode: every process start (the hourly `absensi transform`, a DAG task) would
	# otherwise compile dbt's modules again wherever PYTHONDONTWRITEBYTECODE is set (2 s of 12).
	$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode -c requirements.lock -e '.[dev]'
	touch $(STAMP)

# An independent ZK client (node-zklib, npm) for tests/ingest/test_independent_clients.py. Without
# Node.js or the npm registry the install is skipped, and so are those tests (they say why).
$(NODE_STAMP): $(NODE_CLIENTS)/package.json $(NODE_CLIENTS)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		if (cd $(NODE_CLIENTS) && npm ci --silent); then touch $@; \
		else echo "npm ci gagal (registry npm tidak terjangkau?): uji klien node-zklib akan dilewati"; fi; \
	else echo "npm tidak ada: uji klien node-zklib akan dilewati"; fi

demo: setup
	$(BIN)/absensi demo

# `make test`: every suite but the long end-to-end ones marked `slow` (about 8 minutes on 2 cores);
# `make test-slow`: those (about 25 minutes); CI (.ci/run) runs both.
test: setup
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

test-slow: setup
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

test-all: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Style, types, the floors of the house (import-linter contracts in pyproject.toml) and dbt SQL (dbt/.sqlfluff).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/sqlfluff lint dbt/models dbt/macros

# Regenerate the lock from pyproject.toml (run after changing a dependency, then commit it).
lock:
	$(BIN)/uv pip compile --python-version 3.11 --extra dev pyproject.toml -o requirements.lock

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .absensi dbt/target dbt/logs $(NODE_CLIENTS)/node_modules
