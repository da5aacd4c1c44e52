"""WSGI entry point (gunicorn portal.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

# jieba builds its prefix dictionary in about a second: at start-up, not in the first visitor's search.
from portal import search  # noqa: E402

search.warm_up()
