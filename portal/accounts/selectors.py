"""Reads for accounts."""

import datetime as dt
from collections.abc import Callable, Iterable

from django.db.models import QuerySet

from portal.accounts.models import ImportRecord, Notification, User

# What a message is about can change after it was sent (a publicity period, a deadline): its facts are
# read from the record when the message is shown, not copied into its text. Parts register a provider
# for their keys' prefix: ``provider(keys) -> {key: [line, ...]}``, one query for a page of messages.
NotificationFacts = Callable[[list[str]], dict[str, list[str]]]
_facts_providers: dict[str, NotificationFacts] = {}


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


def unread_count(*, user: User) -> int:
    """How many messages in the inbox are unread."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


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
