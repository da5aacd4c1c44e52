"""Reads for accounts."""

from django.db.models import QuerySet

from portal.accounts.models import Notification, User


def notifications_for(*, user: User) -> QuerySet[Notification]:
    """A user's inbox, newest first."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def unread_count(*, user: User) -> int:
    """How many messages in the inbox are unread."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def enterprise_members(*, enterprise_ids) -> QuerySet[User]:
    """Active logins of the given enterprises: whom to tell about them."""
    return User.objects.filter(enterprise_id__in=enterprise_ids, is_active=True)
