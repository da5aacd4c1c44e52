"""Reads for accounts."""

import datetime as dt
import logging
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet

from portal.accounts.models import ImportRecord, Notification, User

# What a message is about can change after it was sent (a publicity period, a deadline): its facts are
# read from the record when the message is shown, not copied into its text. Parts register a provider
# for their keys' prefix: ``provider(keys) -> {key: [line, ...]}``, one query for a page of messages.
NotificationFacts = Callable[[list[str]], dict[str, list[str]]]
_facts_providers: dict[str, NotificationFacts] = {}
logger = logging.getLogger(__name__)


def register_notification_facts(*, prefix: str, provider: NotificationFacts) -> None:
    """Let a part tell the current facts of the messages whose key starts with ``prefix``."""
    _facts_providers[prefix] = provider


def notification_facts(notes: Iterable[Notification]) -> dict[str, list[str]]:
    """The current facts of these messages, by key (messages about nothing that changes have none)."""
    keys = {n.key for n in notes}
    facts: dict[str, list[str]] = {}
    for prefix, provider in _facts_providers.items():
        mine = sorted(k for k in keys if k.startswith(prefix))
        if mine:
            facts.update(provider(mine))
    return facts


def notifications_for(*, user: User) -> QuerySet[Notification]:
    """A user's inbox, newest first."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


# The header of every logged-in page shows the unread count: kept this long at most, forgotten when a
# message arrives or is read (``unread_forget``). Counting took 0.4 ms of every page.
UNREAD_SECONDS = 60


def _unread_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def unread_count(*, user: User) -> int:
    """How many messages in the inbox are unread (counted afresh when the cache cannot be reached)."""
    key = _unread_key(user.pk)
    try:
        kept = cache.get(key)
    except Exception:
        logger.warning("unread count: the cache is unreachable", exc_info=True)
        return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    if kept is not None:
        return kept
    count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    try:
        cache.set(key, count, UNREAD_SECONDS)
    except Exception:
        logger.warning("unread count: the cache is unreachable", exc_info=True)
    return count


def unread_forget(*, user_ids: Iterable[int]) -> None:
    """These users' inboxes changed: their unread counts are counted again, now and after the commit (a
    page that counted while the change was open must not keep its count)."""
    keys = [_unread_key(user_id) for user_id in set(user_ids)]
    if not keys:
        return

    def forget() -> None:
        try:
            cache.delete_many(keys)
        except Exception:
            logger.warning("unread count: the cache is unreachable", exc_info=True)

    forget()
    transaction.on_commit(forget)


def enterprise_members(*, enterprise_ids) -> QuerySet[User]:
    """Active logins of the given enterprises: whom to tell about them."""
    return User.objects.filter(enterprise_id__in=enterprise_ids, is_active=True)


def sees_whole_zone(user: User) -> bool:
    """Superusers and the coordinating bureau's staff see every department's records."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    department = user.department
    return department is not None and department.is_coordinating


def import_records_visible_to(*, user: User) -> QuerySet[ImportRecord]:
    """Import records a staff user may read: their department's, or all for the zone-wide roles."""
    qs = ImportRecord.objects.select_related("user", "department")
    if sees_whole_zone(user):
        return qs
    if user.is_authenticated and user.is_active and user.is_staff and user.department_id is not None:
        return qs.filter(department_id=user.department_id)
    return qs.none()


# How far back the staff home looks for failed imports: a week covers a weekend and a holiday's eve.
FAILED_IMPORTS_DAYS = 7


def failed_imports_for_staff(*, user: User, now: dt.datetime) -> QuerySet[ImportRecord]:
    """The failed imports of the last week that concern the user, newest first."""
    since = now - dt.timedelta(days=FAILED_IMPORTS_DAYS)
    return import_records_visible_to(user=user).filter(
        status=ImportRecord.Status.FAILED, started_at__gte=since
    )
