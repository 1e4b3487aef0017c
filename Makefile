# The two commands a newcomer needs: `make run` and `make test` (see README.md).
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_OFFICERS ?= 300

.PHONY: install translations messages db content demo run test test-pg lint bench clean

$(VENV)/.installed: setup.cfg constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	@# PYTHONWARNINGS: setuptools' notice that an editable install is editable, nothing more.
	PYTHONWARNINGS=ignore::UserWarning $(VENV)/bin/pip install -q -c constraints.txt -e '.[test,postgres,redis,server]'
	touch $@

install: $(VENV)/.installed

translations: install
	@if ls lms/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(VENV)/bin/pybabel -q compile -d lms/translations; fi

db: install
	$(FLASK) db upgrade

content: db
	$(FLASK) lms sync-courses courses

demo: content
	$(FLASK) lms demo --officers $(DEMO_OFFICERS) --if-empty

run: translations demo
	@echo "Serving 铸魂学堂 on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: translations
	$(PY) -m pytest $(PYTEST_ARGS)

test-pg: translations
	DATABASE_URL=$${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check lms tests bench tools

bench: install
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) *.egg-info tests/artifacts

# Re-extract UI strings (msgids are the Chinese text) and update the English catalogue.
messages: install
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -o lms/translations/messages.pot .
	$(VENV)/bin/pybabel -q update -i lms/translations/messages.pot -d lms/translations -l en
