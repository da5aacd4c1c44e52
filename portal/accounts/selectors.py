"""Reads for accounts."""

from collections.abc import Callable, Iterable

from django.db.models import QuerySet

from portal.accounts.models import Notification, User

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
