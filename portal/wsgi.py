"""WSGI entry point (gunicorn portal.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

# Each web process loads the Chinese word dictionary once, before it serves (about a second).
from portal.content.ranking import warm_up  # noqa: E402

warm_up()
