# 谈减负 feedback backend — operator and developer entry points.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app feedback
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
FUZZ_CASES ?= 2000
HOST ?= 127.0.0.1
PORT ?= 5000
# Throw-away benchmark databases (make bench-data re-creates them; names must contain "bench").
BENCH_PG_URL ?= postgresql://postgres@127.0.0.1:5432/bench_feedback
BENCH_SQLITE ?= instance/bench.db

.PHONY: install run web db seed test test-sqlite test-postgres test-fast postgres redis lint fmt typecheck bench bench-data bench-submit fuzz clean vendor

$(BIN)/activate: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(BIN)/activate

# Bytecode compiled once, also where PYTHONDONTWRITEBYTECODE is set: otherwise every gunicorn start
# compiles the project's ~150 modules again (≈0.25 s of the cold start). __pycache__ is git-ignored.
install: $(BIN)/activate
	@$(BIN)/python -m compileall -q feedback config wsgi.py >/dev/null

db: install
	mkdir -p instance
	$(FLASK) db upgrade

seed: db
	$(FLASK) seed

# Development: SQLite in instance/, sample reference data, dev logins ("dev-…") accepted.
# The scheduler runs in the background and is stopped when the web server exits (or on Ctrl-C).
run: seed
	@$(FLASK) users sample
	@echo "控制台：http://$(HOST):$(PORT)/console/"
	@$(FLASK) jobs run & scheduler=$$!; \
	trap 'kill -TERM $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# The web server alone (no scheduled jobs).
web: seed
	$(FLASK) run --host $(HOST) --port $(PORT)

# Both databases at once, one per CPU core (each run's output is printed whole when it ends).
test: install postgres redis
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

test-sqlite: install redis
	$(BIN)/python -m pytest -q

test-postgres: install postgres redis
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -q

# The quick loop while editing: SQLite only, without the tests that start processes (gunicorn, flask
# jobs run-once, decode-memory probes; marked ``subprocess``). One file or test: see README.
test-fast: install
	$(BIN)/python -m pytest -q -m "not subprocess"

# Start the local PostgreSQL cluster if it is not answering.
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; \
		echo "PostgreSQL 未能启动" >&2; exit 1

# Start a local Redis (rate-limit tests use the real one on 127.0.0.1:6379) if it is not answering.
redis:
	@$(PYTHON) -c "import socket; socket.create_connection(('127.0.0.1', 6379), 1).close()" 2>/dev/null || \
		redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
			--dir /var/lib/redis --logfile /var/log/redis/ci.log
	@for i in 1 2 3 4 5 6 7 8 9 10; do \
		$(PYTHON) -c "import socket; socket.create_connection(('127.0.0.1', 6379), 1).close()" 2>/dev/null && exit 0; \
		sleep 1; done; echo "Redis 未能启动" >&2; exit 1

lint: install
	$(BIN)/ruff check .

# ruff format across the tree.
fmt: install
	$(BIN)/ruff format .

typecheck: install
	$(BIN)/mypy

# Refresh the front-end libraries from their npm packages (needs npm); review the diff, then commit.
vendor:
	$(PYTHON) scripts/vendor_assets.py

# Generated requests from the OpenAPI document (schemathesis), FUZZ_CASES per audience (cadre, triage,
# handler), on SQLite and on PostgreSQL (PG_TEST_URL: its public schema is dropped). Fails on any 5xx
# or any error answer outside {"code","message","errors","request_id"}. The suite runs a short version.
fuzz: install postgres
	$(BIN)/python -m tests.support.fuzz --cases $(FUZZ_CASES)
	$(BIN)/python -m tests.support.fuzz --cases $(FUZZ_CASES) --database-url $(PG_TEST_URL)

# Issue 12's benchmark. bench-data fills $(BENCH_PG_URL) with 10^6 feedback (24 months) and $(BENCH_SQLITE)
# with 2×10^5; bench prints every figure against its target and fails when one is missed (needs wrk).
bench-data: install postgres
	$(BIN)/python -m tests.bench.make_data --database-url $(BENCH_PG_URL)
	$(BIN)/python -m tests.bench.make_data --sqlite $(BENCH_SQLITE)

bench: install postgres
	$(BIN)/python -m tests.bench.run_bench --database-url $(BENCH_PG_URL) --sqlite $(BENCH_SQLITE)

# Submission alone, on a fresh SQLite file: the service against a bare Flask-SQLAlchemy insert.
bench-submit: install
	$(BIN)/python tests/bench/bench_submit.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
