"""Anonymous public pages and the stats figures, kept in the cache (Redis when named) until something
public changes.

Every cached entry carries the *public generation* it was made under: saving or deleting anything a public
page shows (a policy, a news article, a FAQ, synonyms, economic indicators, or the awards, problems and
projects the figures count) moves the generation on, so the next request finds its copy out of date and
recomputes instead of hunting down keys. A page or a value is read with the generation in one round trip to
the cache (``_read``), the copy kept under a key of its own address, tagged with its generation. The
generation moves twice: at once (a request inside the same transaction sees the change) and again when the
transaction commits (a request that read the old rows while it was open must not keep its copy).
``PUBLIC_CACHE_SECONDS`` bounds every entry anyway, and 0 turns the page cache off.

A page is cached only for a visitor with no session (so never a logged-in user) and no pending messages,
only on GET, only when the view sets no cookie and writes no session. The CSRF tokens in a page's forms
(the language and elderly-mode switches are on every page) are cut out of the stored copy and each visitor
gets their own when the copy is served; the CSP header carries no nonce and is added to every response by
its middleware, so a stored page holds nothing that belongs to one visitor.
"""

import datetime as dt
import functools
import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.apps import apps
from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import _unmask_cipher_token, get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

logger = logging.getLogger(__name__)
T = TypeVar("T")

GENERATION_KEY = "public:generation"
# When content scheduled ahead (an article with a later publishing time) becomes public by the clock alone,
# as a Unix time; 0 when nothing is scheduled. The first request after it moves the generation on.
DUE_KEY = "public:due"
# What the public pages and the figures read: a save or delete of one of these moves the generation on.
# Bulk writes (``update()``, ``bulk_create``) send no signal; the services that make them call
# ``portal.stats.invalidate()`` (which is ``invalidate`` here).
PUBLIC_MODELS = (
    "accounts.Department",
    "policies.Category",
    "policies.Policy",
    "policies.Attachment",
    "content.Article",
    "content.FaqCategory",
    "content.Faq",
    "content.SynonymGroup",
    "content.LearnedPhrasing",  # a learned wording changes what /faq/?q= answers
    "content.Indicator",
    "subsidies.Scheme",
    "subsidies.Award",
    "subsidies.PaymentBatch",
    "servicedesk.Visit",
    "servicedesk.Problem",
    "projects.Project",
    "projects.Filing",
    "projects.PermitType",
    "projects.Permit",
    "projects.Acceptance",
    "enterprises.Enterprise",
    # Not on a public page: an enterprise's facts, which its own kept pieces show (profile, 差一点符合).
    "enterprises.AnnualReport",
    "enterprises.Qualification",
)
# Stands in the stored copy where a visitor's CSRF token was; NUL never reaches a page from its data.
CSRF_PLACEHOLDER = "\x00csrf-token\x00"
# A masked CSRF token as ``{% csrf_token %}`` writes it: 64 letters and digits standing alone.
_TOKEN_LIKE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])")
_STORED_HEADERS = ("Content-Type", "Content-Language")


# Content that changes by the clock alone: model label -> the next moment one of its rows becomes public.
_SCHEDULES: dict[str, Callable[[], dt.datetime | None]] = {}


def register_schedule(label: str, next_change: Callable[[], dt.datetime | None]) -> None:
    """``next_change`` says when the next row of ``label`` scheduled ahead becomes public (or None)."""
    _SCHEDULES[label] = next_change


def _set_due() -> None:
    moments = [moment for next_change in _SCHEDULES.values() if (moment := next_change()) is not None]
    cache.set(DUE_KEY, min(moments).timestamp() if moments else 0, None)


# The generation


def generation() -> int:
    """The current public generation; a lost key starts again from the clock, above every earlier value.

    Once scheduled content is due, the first request moves the generation on and finds the next moment.
    """
    return _generation_of(cache.get_many([GENERATION_KEY, DUE_KEY]))


def _generation_of(values: dict) -> int:
    """The generation from what was read of ``GENERATION_KEY`` and ``DUE_KEY``, moved on first if due."""
    value, due = values.get(GENERATION_KEY), values.get(DUE_KEY)
    if due and time.time() >= due:
        _bump()
        _set_due()
        value = None
    if value is None:
        cache.add(GENERATION_KEY, time.time_ns(), None)
        value = cache.get(GENERATION_KEY)
    return value


def _read(key: str) -> tuple[int, object | None]:
    """The current generation and the copy kept under ``key`` if it was made under that generation (None
    otherwise), in one round trip to the cache; raises when the cache cannot be reached."""
    values = cache.get_many([GENERATION_KEY, DUE_KEY, key])
    current = _generation_of(values)
    kept = values.get(key)
    if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == current:
        return current, kept[1]
    return current, None


def _keep(key: str, made_under: int, value: object) -> None:
    """``value`` kept under ``key``, tagged with the generation it was made under."""
    cache.set(key, (made_under, value), settings.PUBLIC_CACHE_SECONDS)


def _bump() -> None:
    try:
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:
            cache.add(GENERATION_KEY, time.time_ns(), None)
    except Exception:
        # A cache that cannot be reached serves no copies either; the write itself must not fail for it.
        logger.warning("public cache: the generation could not be moved on", exc_info=True)


def invalidate(using: str = DEFAULT_DB_ALIAS) -> None:
    """Public records changed: recompute pages and figures now, and again after the transaction commits."""
    _bump()
    connection = connections[using]
    if not connection.in_atomic_block:
        return
    # One commit callback per transaction, however many rows it saves (a rolled-back one forgets it).
    if not any(entry[1] is _bump for entry in connection.run_on_commit):
        transaction.on_commit(_bump, using=using)


def _on_change(sender, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    invalidate(using=using)
    if sender._meta.label in _SCHEDULES:
        _schedule_changed(using)


def _schedule_changed(using: str) -> None:
    """A row that may be scheduled ahead changed: find the next due moment now and after the commit."""
    try:
        _set_due()
        if connections[using].in_atomic_block:
            transaction.on_commit(_set_due, using=using, robust=True)
    except Exception:
        logger.warning("public cache: the next scheduled change could not be kept", exc_info=True)


def connect_signals() -> None:
    """Called once at start-up (``ContentConfig.ready``)."""
    for label in PUBLIC_MODELS:
        model = apps.get_model(label)
        uid = f"public_cache:{label}"
        post_save.connect(_on_change, sender=model, dispatch_uid=f"{uid}:save")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"{uid}:delete")
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(_on_change, sender=through, dispatch_uid=f"{uid}:{field.name}")


# Made once: while one request makes a page or a value nobody has kept yet, the others asking for it wait for
# its copy this long at most (a page takes well under a second to make), looking again after these pauses,
# in seconds; the mark of the one making it lapses after MAKING_SECONDS should that request die.
MAKING_SECONDS = 30
WAIT_SECONDS = 3.0
_PAUSES = (0.005, 0.01, 0.02, 0.04, 0.05)


# Waited on, never set: a pause. ``time.sleep`` would do the same, but libfaketime (CI's passes with the
# clock moved to another year) refuses the absolute deadline Python's sleep gives the kernel.
_NEVER = threading.Event()


def _making_key(key: str, made_under: int) -> str:
    return f"{key}:{made_under}:making"


def _wait_for_copy(key: str, made_under: int, making: str) -> object | None:
    """The copy another request is making under generation ``made_under``, once kept; None when it ends
    without keeping one (the page was not storable, or the request failed), after ``WAIT_SECONDS``, or
    when the cache cannot be reached."""
    deadline = time.monotonic() + WAIT_SECONDS
    pauses = iter(_PAUSES)
    while time.monotonic() < deadline:
        _NEVER.wait(next(pauses, _PAUSES[-1]))
        try:
            found = cache.get_many([key, making])
        except Exception:
            logger.warning("public cache: unreachable", exc_info=True)
            return None
        kept = found.get(key)
        if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == made_under:
            return kept[1]
        if making not in found:
            return None
    return None


def _made_once(key: str, made_under: int, make: Callable[[], T], serve: Callable[[object], T]) -> T:
    """``make()``, which keeps what it makes under ``key`` (``_keep``) when it may, by one request at a time:
    a request that finds another making it under the same generation waits for that copy and is given
    ``serve(copy)``. A public change sends every visitor to pages and figures nobody has kept yet at once;
    each is made once, not by every worker.
    """
    making = _making_key(key, made_under)
    try:
        first = cache.add(making, 1, MAKING_SECONDS)
    except Exception:
        logger.warning("public cache: unreachable", exc_info=True)
        return make()
    if not first:
        stored = _wait_for_copy(key, made_under, making)
        return serve(stored) if stored is not None else make()
    try:
        return make()
    finally:
        try:
            cache.delete(making)
        except Exception:
            logger.warning("public cache: unreachable", exc_info=True)


def remember(name: str, compute: Callable[[], object]):
    """``compute()``, kept in the cache under the public generation, so a public change recomputes it, and
    for ``PUBLIC_CACHE_SECONDS`` at most; computed afresh when the cache is off or cannot be reached.

    For what public pages read from whole tables and show to everyone alike, such as the catalogue's
    departments and years (two scans of 100,000 policies on every logged-in search, 100 ms); and for the
    pieces of an enterprise's own pages that only records moving the generation decide, under a name that
    carries the enterprise (and the language and day where they matter), never anything that changes by the
    clock alone.
    """
    if settings.PUBLIC_CACHE_SECONDS <= 0:
        return compute()
    key = f"public:value:{name}"
    try:
        current, found = _read(key)
    except Exception:
        logger.warning("public cache: unreachable", exc_info=True)
        return compute()
    if found is not None:
        return found

    def computed_and_kept():
        value = compute()
        try:
            _keep(key, current, value)
        except Exception:
            logger.warning("public cache: a value could not be kept", exc_info=True)
        return value

    return _made_once(key, current, computed_and_kept, lambda kept: kept)


def remember_rendered(name: str, template: str, context: Callable[[], dict]) -> str:
    """``template`` rendered with ``context()`` in the current language, kept as HTML by ``remember``:
    ``name`` says whose piece it is (and the day, where what it shows depends on the day)."""
    return remember(f"rendered:{name}:{get_language()}", lambda: render_to_string(template, context()))


# What each process keeps itself, by generation: name -> (generation, when computed, value).
_HELD: dict[str, tuple[int, float, object]] = {}


def remember_here(name: str, compute: Callable[[], object]):
    """``compute()``, kept in this process's memory under the public generation (and for
    ``PUBLIC_CACHE_SECONDS`` at most); computed afresh when the cache is off or cannot be reached.

    For model instances every logged-in page reads alike, such as the 100 active schemes the enterprise's
    awards page checks (7 ms to read and build each time, more than unpickling them would save). The
    value is shared by the requests of the process: callers must not change it.
    """
    if settings.PUBLIC_CACHE_SECONDS <= 0:
        return compute()
    try:
        current = generation()
    except Exception:
        logger.warning("public cache: unreachable", exc_info=True)
        return compute()
    held = _HELD.get(name)
    now = time.monotonic()
    if held is not None and held[0] == current and now - held[1] < settings.PUBLIC_CACHE_SECONDS:
        return held[2]
    value = compute()
    _HELD[name] = (current, now, value)
    return value


# The page cache


def _cacheable_request(request: HttpRequest) -> bool:
    if settings.PUBLIC_CACHE_SECONDS <= 0 or request.method != "GET":
        return False
    cookies = request.COOKIES
    # No session cookie: nobody is logged in (every login keeps a session) and no messages wait in it.
    if settings.SESSION_COOKIE_NAME in cookies or CookieStorage.cookie_name in cookies:
        return False
    # A request carrying credentials (an API token, HTTP authentication) may see more than the public does.
    if "Authorization" in request.headers:
        return False
    # htmx asks for fragments of the same address.
    return "HX-Request" not in request.headers


def _key(request: HttpRequest, *, by_accept: bool) -> str:
    elder = request.COOKIES.get(settings.ELDER_MODE_COOKIE) == "1"
    accept = request.headers.get("Accept", "") if by_accept else ""
    address = f"{request.get_host()}\n{request.get_full_path()}\n{accept}"
    digest = hashlib.sha256(address.encode()).hexdigest()
    # The day is in the key: pages show what is in force or in publicity today.
    today = timezone.localdate().isoformat()
    return f"public:page:{get_language()}:{int(elder)}:{today}:{digest}"


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    cache_control = response.get("Cache-Control", "")
    if any(word in cache_control for word in ("private", "no-store", "no-cache")):
        return False
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    storage = getattr(request, "_messages", None)
    return not getattr(storage, "_queued_messages", None)


def _without_csrf_tokens(request: HttpRequest, text: str) -> str:
    secret = request.META.get("CSRF_COOKIE")
    if not secret:
        return text

    def cut(match: re.Match) -> str:
        return CSRF_PLACEHOLDER if _unmask_cipher_token(match.group()) == secret else match.group()

    return _TOKEN_LIKE.sub(cut, text)


def _stored_copy(request: HttpRequest, response: HttpResponse) -> dict | None:
    charset = response.charset or settings.DEFAULT_CHARSET
    try:
        text = response.content.decode(charset)
    except UnicodeDecodeError:
        return None
    headers = {name: response[name] for name in _STORED_HEADERS if response.has_header(name)}
    return {"text": _without_csrf_tokens(request, text), "charset": charset, "headers": headers}


def _served_copy(request: HttpRequest, stored: dict) -> HttpResponse:
    text = stored["text"]
    if CSRF_PLACEHOLDER in text:
        # This visitor's own token; the CSRF middleware sets its cookie on the way out.
        text = text.replace(CSRF_PLACEHOLDER, get_token(request))
    response = HttpResponse(text.encode(stored["charset"]))
    for name, value in stored["headers"].items():
        response[name] = value
    # The copy depends on the language, elderly-mode and session cookies, as the page it was made from.
    patch_vary_headers(response, ("Cookie",))
    return response


def _made_and_kept(request: HttpRequest, key: str, made_under: int, response: HttpResponse) -> HttpResponse:
    """The page a view made, kept in the cache (for generation ``made_under``) when it may be."""
    if hasattr(response, "render") and callable(response.render):
        response = response.render()
    if _storable(request, response):
        copy = _stored_copy(request, response)
        if copy is not None:
            try:
                _keep(key, made_under, copy)
            except Exception:
                logger.warning("public cache: the page could not be kept", exc_info=True)
    return response


def cache_public(view=None, *, by_accept: bool = False):
    """Serve an anonymous visitor's GET from the cache, keyed by address, language and elderly mode.

    ``by_accept`` adds the Accept header to the key, for API views whose format is negotiated.
    """

    def decorate(view_func):
        @functools.wraps(view_func)
        def wrapped(request, *args, **kwargs):
            if not _cacheable_request(request):
                return view_func(request, *args, **kwargs)
            key = _key(request, by_accept=by_accept)
            try:
                current, stored = _read(key)
            except Exception:
                # The page is made as if there were no cache rather than refused.
                logger.warning("public cache: unreachable", exc_info=True)
                return view_func(request, *args, **kwargs)
            if stored is not None:
                return _served_copy(request, stored)
            return _made_once(
                key,
                current,
                lambda: _made_and_kept(request, key, current, view_func(request, *args, **kwargs)),
                lambda stored: _served_copy(request, stored),
            )

        return wrapped

    return decorate(view) if view is not None else decorate
