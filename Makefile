# Dibiao: `make run` sets everything up and serves the demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
VENDOR := dibiao/core/static/vendor

.PHONY: install assets run test lint typecheck pytest bench bench-ledger bench-producers bench-trace clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependency list changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR)/.copied: node_modules/.installed
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	touch $@

assets: $(VENDOR)/.copied

install: $(VENV)/.installed assets

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@echo "地标 Dibiao: http://127.0.0.1:$(PORT)/  (演示账号与密码见上)"
	@# The background worker (label sheets, long exports) runs beside the server and stops with it.
	$(BIN)/python manage.py db_worker --no-reload -v 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

pytest: install
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -n auto $(PYTEST_ARGS)

test: lint typecheck pytest

bench: install
	$(BIN)/python -m bench.run

# The fund ledger under contention (PostgreSQL): 100 runs of 50 parallel payments.
bench-ledger: install
	DATABASE_URL=$${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres} $(BIN)/python -m bench.ledger_race

# The producer directory and production logs: a 20,000-row import, logs under the pre-harvest
# check on a base with 10,000 logs, the directory list with 50,000 producers.
bench-producers: install
	$(BIN)/python -m bench.producers

# Label codes and the scan endpoint: a 1,000,000-code CSV export, code lookup with 10^3 and 10^9
# labels issued, GET /api/v1/trace/<code> beside a minimal view on gunicorn (SQLite, var/bench/).
bench-trace: install
	$(BIN)/python -m bench.trace

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .mypy_cache .ruff_cache .pytest_cache
