# The portal's commands. `make demo` and `make test` are all a newcomer needs (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint bench venv migrate messages clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

migrate: venv
	$(PY) manage.py migrate --noinput

# Set up the embedded portal with demo data, run the nightly jobs once, and serve it. The e-mails the demo's
# history sends stay out of the printed logins (each is in the user's in-portal messages too).
demo: migrate
	EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend $(PY) manage.py load_demo > $(VENV)/demo-logins.txt
	$(PY) manage.py run_periodic_jobs
	@cat $(VENV)/demo-logins.txt
	@echo ""
	@echo "门户：http://127.0.0.1:8000/  （按 Ctrl+C 停止）"
	$(PY) manage.py runserver 127.0.0.1:8000

# The whole suite: SQLite and eager Celery unless DATABASE_URL / REDIS_URL are set.
test: venv
	PORTAL_TESTING=1 $(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	PORTAL_TESTING=1 $(PY) manage.py makemigrations --check --dry-run
	PORTAL_TESTING=1 $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null
	DATABASE_URL=sqlite://:memory: DJANGO_DEBUG=0 DJANGO_SECRET_KEY=lint-only-$$(date +%s)-secret-key-with-enough-length-and-variety-123456 \
	  FIELD_ENCRYPTION_KEY=bGludC1vbmx5LWZpZWxkLWtleS0zMi1ieXRlcy1sb25nIQ== \
	  $(PY) manage.py check --deploy --fail-level WARNING

# Recompile the translations after editing locale/*/LC_MESSAGES/django.po (needs GNU gettext).
messages: venv
	$(PY) manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=staticfiles --ignore=node_modules \
	  --ignore=tests/oidc/node_modules --ignore=test-output
	$(PY) manage.py compilemessages --ignore=.venv

# Benchmarks (not tests): each prints one JSON line. On the database DATABASE_URL names (SQLite by default).
bench: venv
	$(PY) bench/imports.py --rows 100000
	$(PY) bench/matching.py --enterprises 100000 --schemes 20
	$(PY) bench/faq.py

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles test-output
