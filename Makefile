# The two commands of the README: `make run` and `make test`. Everything else helps them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-sqlite test-postgres lint typecheck check bench browsers translations clean

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

# After marking or changing messages: the catalog template from the code and templates, each
# language's catalog brought up to date with it, and the compiled catalogs Rapport reads.
I18N := lti_tool/translations
translations: install
	$(BIN)/pybabel extract -F $(I18N)/babel.cfg -k lazy_gettext -k lazy_ngettext:1,2 -k keep \
	  --no-location --sort-output --project Rapport -o $(I18N)/messages.pot .
	for lang in es pl; do test -f $(I18N)/$$lang/LC_MESSAGES/messages.po \
	  || $(BIN)/pybabel init -i $(I18N)/messages.pot -d $(I18N) -l $$lang; done
	$(BIN)/pybabel update -i $(I18N)/messages.pot -d $(I18N) --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d $(I18N) --statistics

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
