"""WSGI entry point (gunicorn portal.wsgi)."""

import contextlib
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

# Each web process loads the Chinese word dictionaries once, before it serves (about a second each):
# the FAQ ranking's and the catalogue search's, not in the first visitor's search. It also builds the
# search indexes of the catalogue and the news (about four seconds each at 100,000 rows), unless the
# database cannot be reached yet: then the first search builds them.
from django.db import DatabaseError  # noqa: E402

from policies.selectors import catalogue_index  # noqa: E402
from portal import search  # noqa: E402
from portal.content.ranking import warm_up  # noqa: E402
from portal.content.selectors import news_index  # noqa: E402

warm_up()
search.warm_up()
with contextlib.suppress(DatabaseError):
    catalogue_index()
    news_index()
