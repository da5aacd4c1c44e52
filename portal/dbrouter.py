"""Public reads on a streaming replica: the database router and the middleware that marks a request for it.

With ``DATABASE_REPLICA_URL`` set, the ``replica`` alias names a read-only copy of the primary. A request
may read from it only when all of these hold, and the router checks them on every query:

- the middleware marked it: a GET or HEAD of a public page or public API list (``REPLICA_VIEWS``) by a
  visitor who is not logged in;
- the query is a read, outside any transaction on the primary;
- nothing was written yet in this request (after a write, the request reads what it wrote, on the primary);
- the model is not one whose freshness a visitor notices at once (sessions, accounts, lockouts).

Everything else — writes, transactions, logged-in requests, Celery tasks, management commands — uses the
primary. Without ``DATABASE_REPLICA_URL`` nothing changes: there is no ``replica`` alias to route to.
"""

from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

# The pages and API lists anyone may read, by namespaced URL name.
REPLICA_VIEWS = frozenset(
    {
        "home",
        "content:news",
        "content:article",
        "content:faq",
        "content:faq_answers",
        "content:faq_detail",
        "content:economy",
        "content:economy_csv",
        "content:performance",
        "policies:list",
        "policies:detail",
        "policies:print",
        "subsidies:publicity",
        "subsidies:publicity-scheme",
        "api:policy-list",
        "api:policy-detail",
        "api:scheme-list",
        "api:stats",
    }
)
SAFE_METHODS = frozenset({"GET", "HEAD"})

# Read on the primary even in a public request: a visitor must see their own session and login at once.
PRIMARY_APPS = frozenset({"sessions", "auth", "axes", "otp_totp", "otp_static", "admin"})
PRIMARY_MODELS = frozenset({"accounts.User", "accounts.Notification"})

# True while a request that may read from the replica is served; set back to False by its first write.
_replica_reads = ContextVar("replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES and settings.DATABASE_REPLICA_READS


class ReplicaRouter:
    """Sends a marked request's reads to the replica; everything else to the primary."""

    def db_for_read(self, model, **hints):
        if (
            _replica_reads.get()
            and replica_configured()
            and model._meta.app_label not in PRIMARY_APPS
            and model._meta.label not in PRIMARY_MODELS
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        # From the first write on, this request reads on the primary (it must see what it wrote).
        _replica_reads.set(False)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica is a copy of the primary: objects read from either belong to one database.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class ReplicaReadsMiddleware:
    """Marks a request as replica-eligible when it is a public read by a visitor who is not logged in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _replica_reads.set(False)
        try:
            return self.get_response(request)
        finally:
            _replica_reads.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if (
            replica_configured()
            and request.method in SAFE_METHODS
            and request.resolver_match is not None
            and request.resolver_match.view_name in REPLICA_VIEWS
            # Resolving the user reads the session, on the primary, before the mark is set.
            and not request.user.is_authenticated
            # An API client signing in with HTTP Basic is logged in too (DRF authenticates it in the view).
            and "HTTP_AUTHORIZATION" not in request.META
        ):
            _replica_reads.set(True)
        return None
