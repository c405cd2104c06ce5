# The two commands of the README: `make run` and `make test`. Everything else helps them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-sqlite test-postgres lint typecheck check bench browsers clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Rapport with its demo LMS on SQLite, and a worker for its jobs beside it (stopped with it):
# open http://127.0.0.1:5000/demo
run: install
	RAPPORT_DEMO=1 $(BIN)/rapport db upgrade
	trap 'trap - EXIT INT TERM; kill 0' EXIT INT TERM; \
	RAPPORT_DEMO=1 $(BIN)/rapport worker --workers 1 & \
	RAPPORT_DEMO=1 $(BIN)/rapport run --host 127.0.0.1 --port 5000

# The whole suite, on SQLite and then on PostgreSQL with Redis (services started if needed);
# prints the wall time of each step.
test: install browsers
	bash .ci/test-all

browsers:
	bash .ci/install-browser

test-sqlite: install browsers
	$(BIN)/pytest -n $$(( $$(nproc) + 1 )) --dist worksteal

test-postgres: install
	bash .ci/services
	TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test TEST_REDIS_URL=redis://127.0.0.1:6379/15 $(BIN)/pytest -n $$(( $$(nproc) + 1 )) --dist worksteal -m "not browser and not database_independent"

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

# Every benchmark, on PostgreSQL + Redis (started if needed), each figure against a baseline
# measured in the same run; writes benchmarks/results.json.
bench: install
	bash .ci/services
	psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname = 'bench'" test | grep -q 1 \
	  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE bench" test
	BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench BENCH_REDIS_URL=redis://127.0.0.1:6379/8 \
	BENCH_DEMO_SERVER=gunicorn $(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
