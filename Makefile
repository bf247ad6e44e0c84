# Triage: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run worker test lint serve bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the requirement files change.
$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

## run: install, migrate, seed demo data if the database is empty, serve on http://127.0.0.1:8000
## with one worker beside the server (notifications, periodic jobs); Ctrl-C stops both.
run: $(VENV)/.runtime
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py migrate --no-input
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py seed_demo --if-empty
	@echo ""
	@echo "  Triage is starting on http://$(HOST):$(PORT)/ with one worker (Ctrl-C stops both)"
	@echo "  Demo logins (password: demo): admin (everything), analyst (admin read + tickets), support (API + dashboard)"
	@echo ""
	export DJANGO_DEBUG=$${DJANGO_DEBUG:-1}; \
	$(BIN)/python manage.py run_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## worker: one worker alone (notification deliveries, the sweep, digests, pruning, a heartbeat)
worker: $(VENV)/.runtime
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py run_worker

## test: install the test tools and run the whole suite (SQLite unless DATABASE_URL says otherwise)
test: $(VENV)/.dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## serve: the production server (gunicorn, DEBUG off). Needs DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS;
## WEB_CONCURRENCY workers (default 2) on HOST:PORT; DJANGO_SECURE_SSL=0 for plain HTTP on loopback.
serve: $(VENV)/.runtime
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn config.wsgi -c config/gunicorn.py

## bench: the whole product at 1k and 10k tickets on SQLite (a few minutes); results in bench/results/last-run/.
## BENCH_ARGS="--full --database-url postgres://postgres@127.0.0.1:5432/postgres" for 1M and PostgreSQL.
bench: $(VENV)/.dev
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .test-db.sqlite3*
