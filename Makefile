# Dibiao: `make run` sets everything up and serves the demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
VENDOR := dibiao/core/static/vendor

.PHONY: install assets run reset-demo test lint typecheck pytest bench bench-ledger bench-merkle bench-producers bench-trace bench-indicators clean

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
	mkdir -p $(VENDOR)/leaflet
	cp -R node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css \
		node_modules/leaflet/dist/images node_modules/leaflet/LICENSE $(VENDOR)/leaflet/
	mkdir -p $(VENDOR)/echarts
	cp node_modules/echarts/dist/echarts.min.js node_modules/echarts/LICENSE $(VENDOR)/echarts/
	touch $@

assets: $(VENDOR)/.copied

install: $(VENV)/.installed assets

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@echo "地标 Dibiao: http://127.0.0.1:$(PORT)/  (演示账号与密码见上)"
	@# The background worker (label sheets, long exports) and the ledger's checkpoint publisher
	@# run beside the server and stop with it.
	$(BIN)/python manage.py db_worker --no-reload -v 0 & worker=$$!; \
	$(BIN)/python manage.py ledger_checkpoint --every 60 >/dev/null & ledger=$$!; \
	trap 'kill $$worker $$ledger 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# A fresh demo database (SQLite): the old database is removed and its ledger witness file set
# aside — a witness of a database that no longer exists would rightly report a rollback.
reset-demo:
	rm -f var/dibiao.sqlite3 var/dibiao.sqlite3-wal var/dibiao.sqlite3-shm
	@if [ -f var/ledger-witness-dibiao.sqlite3.jsonl ]; then \
		mv var/ledger-witness-dibiao.sqlite3.jsonl var/ledger-witness-dibiao.sqlite3.jsonl.$$(date +%Y%m%d%H%M%S).bak; \
		echo "账本见证文件已另存为 var/ledger-witness-dibiao.sqlite3.jsonl.*.bak"; fi
	$(MAKE) run

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

# The verifiable ledger (issue 6): appends per second, and inclusion proofs at 10^6 and 10^7
# leaves, on SQLite and PostgreSQL (new databases, removed at the end; about 10 minutes).
bench-merkle: install
	$(BIN)/python -m bench.merkle_log

# The producer directory and production logs: a 20,000-row import, logs under the pre-harvest
# check on a base with 10,000 logs, the directory list with 50,000 producers.
bench-producers: install
	$(BIN)/python -m bench.producers

# Label codes and the scan endpoint: a 1,000,000-code CSV export, code lookup with 10^3 and 10^9
# labels issued, GET /api/v1/trace/<code> beside a minimal view on gunicorn (SQLite, var/bench/).
bench-trace: install
	$(BIN)/python -m bench.trace

# The indicator catalogue (issue 8): every indicator of 3,500 products over 10^7 production logs
# (target ≤ 60 s) and one product's page (≤ 1 s), on SQLite and PostgreSQL. The data is built once
# (a few minutes per database, var/bench/ and bench_indicators_* on the server) and kept.
bench-indicators: install
	$(BIN)/python -m bench.indicators

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .mypy_cache .ruff_cache .pytest_cache
