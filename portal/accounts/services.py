"""Writes for accounts: enterprise logins, the notifications inbox, the security trail and import records."""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import Department, EnterpriseRole, ImportRecord, Notification, User
from portal.accounts.selectors import unread_forget

# Row errors kept on an import record; the others are counted. Fifty fill a screen: staff fix those first and
# run the check again, and a file with thousands of bad rows does not make a record of megabytes.
IMPORT_ERRORS_KEPT = 50


class AccountError(Exception):
    """A write to accounts that is refused, with a message for people."""


@transaction.atomic
def enterprise_user_create(
    *, enterprise, username: str, role: str, password: str, display_name: str = ""
) -> User:
    """Create a login for a member of an enterprise (法定代表人 or 经办人)."""
    if role not in EnterpriseRole.values:
        raise AccountError(_("角色必须是 owner（法定代表人）或 agent（经办人）。"))
    if User.objects.filter(username=username).exists():
        raise AccountError(_("用户名 %(name)s 已存在。") % {"name": username})
    user = User(username=username, enterprise=enterprise, enterprise_role=role, display_name=display_name)
    try:
        from django.contrib.auth.password_validation import validate_password

        validate_password(password, user)
    except ValidationError as exc:
        raise AccountError("；".join(exc.messages)) from exc
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def enterprise_member_link(*, enterprise, username: str, role: str, display_name: str = "") -> User:
    """The login of a member vouched for by the provincial identity: found by its username, or created.

    The identity provider is the authority on who acts for which enterprise and in what role, so an existing
    member takes the role the token gives; a login of another enterprise, or of staff, is refused.
    """
    if role not in EnterpriseRole.values:
        raise AccountError(_("角色必须是 owner（法定代表人）或 agent（经办人）。"))
    user = User.objects.select_for_update().filter(username=username).first()
    if user is None:
        user = User(username=username, enterprise=enterprise, enterprise_role=role, display_name=display_name)
        # No local password: this login exists only through the identity provider.
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        return user
    if user.is_staff or user.is_superuser or user.department_id is not None:
        raise AccountError(_("园区工作人员账号不能通过统一身份认证登录。"))
    if user.enterprise_id != enterprise.pk:
        raise AccountError(_("该账号属于其他企业。"))
    updates = {"enterprise_role": role, **({"display_name": display_name} if display_name else {})}
    changed = [field for field, value in updates.items() if getattr(user, field) != value]
    for field in changed:
        setattr(user, field, updates[field])
    if changed:
        user.save(update_fields=changed)
    return user


def notify(
    *,
    recipients: Iterable[User],
    key: str,
    title: str,
    body: str = "",
    url: str = "",
    email: bool = False,
) -> int:
    """Put one message per recipient and key into the inbox; a second call with the same key adds none.

    With ``email=True`` the new messages are also emailed, by a task queued after commit, each once.
    Returns how many recipients the key now reaches.
    """
    rows = [Notification(recipient=u, key=key, title=title, body=body, url=url) for u in recipients]
    if not rows:
        return 0
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    unread_forget(user_ids=[row.recipient.pk for row in rows])
    if email:
        transaction.on_commit(lambda: _queue_emails(key))
    return Notification.objects.filter(key=key, recipient__in=[r.recipient for r in rows]).count()


def _queue_emails(key: str) -> None:
    # Imported when queueing, after commit: tasks import this module, this module does not import them.
    from portal.accounts.tasks import send_notification_emails

    send_notification_emails.delay(key)


def notification_emails_send(*, key: str) -> int:
    """Email every inbox message with this key that has not been emailed yet; each message once."""
    from django.core.mail import send_mail

    sent = 0
    from portal.accounts.selectors import notification_facts

    pending = Notification.objects.filter(key=key, emailed_at__isnull=True).select_related("recipient")
    facts = "\n".join(notification_facts([Notification(key=key)]).get(key, []))
    for note in pending.iterator(chunk_size=500):
        # Claim the message first: a task delivered twice finds nothing left to claim.
        claimed = Notification.objects.filter(pk=note.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed:
            continue
        if not note.recipient.email:
            continue
        try:
            text = "\n".join(part for part in (note.body, facts) if part)
            send_mail(note.title, f"{text}\n\n{note.url}".strip(), None, [note.recipient.email])
        except Exception:
            Notification.objects.filter(pk=note.pk).update(emailed_at=None)
            raise
        sent += 1
    return sent


def notification_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one message, or all of a user's unread messages, as read."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    marked = qs.update(read_at=timezone.now())
    unread_forget(user_ids=[user.pk])
    return marked


def security_event_record(
    *,
    kind: str,
    request=None,
    username: str = "",
    actor=None,
    target: str = "",
    success: bool = True,
    detail: str = "",
):
    """Append one entry to the security trail: who, when, from where, about what, and the outcome.

    Without a request, the actor and address come from the audit context the middleware set for this
    request (or stay empty for the command line and the workers).
    """
    from auditlog.context import auditlog_value

    from portal.accounts.models import SecurityEvent
    from portal.accounts.security import client_ip

    address = None
    if request is not None:
        address = client_ip(request)
        if actor is None:
            user = getattr(request, "user", None)
            actor = user if user is not None and user.is_authenticated else None
    else:
        context = auditlog_value.get({})
        address = context.get("remote_addr")
        actor = actor or context.get("actor")
    return SecurityEvent.objects.create(
        kind=kind,
        actor_id=actor.pk if actor is not None else None,
        username=(username or (actor.get_username() if actor is not None else ""))[:150],
        ip_address=address,
        path=(request.path[:255] if request is not None else ""),
        target=target[:255],
        success=success,
        detail=detail[:255],
    )


@transaction.atomic
def audit_purge(*, dry_run: bool = False) -> dict:
    """Delete audit entries and security events older than ``AUDIT_RETENTION_DAYS``, and nothing newer."""
    import datetime as dt

    from auditlog.models import LogEntry
    from django.conf import settings
    from django.db import connection

    from portal.accounts.models import SecurityEvent

    before = timezone.now() - dt.timedelta(days=settings.AUDIT_RETENTION_DAYS)
    entries = LogEntry.objects.filter(timestamp__lt=before)
    events = SecurityEvent.objects.filter(at__lt=before)
    counts = {"before": before, "logentries": entries.count(), "security_events": events.count()}
    if dry_run:
        return counts
    if connection.vendor == "postgresql":
        # The append-only trigger lets deletions through only with this setting, for this transaction only.
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('portal.audit_purge', 'on', true)")
    entries.delete()
    events.delete()
    return counts


def import_record_save(
    *,
    kind: str,
    file_name: str,
    started_at: dt.datetime,
    status: str,
    user: User | None = None,
    command: str = "",
    department: Department | None = None,
    rows_read: int = 0,
    rows_written: int = 0,
    message: str = "",
    errors: Iterable = (),
) -> ImportRecord:
    """Record one import run. Call it after the import's own transaction ended, so a rollback keeps it.

    ``errors`` are row errors (``row``, ``message``); the first ``IMPORT_ERRORS_KEPT`` are kept.
    """
    errors = list(errors)
    if department is None and user is not None and user.is_authenticated:
        department = user.department
    with transaction.atomic():
        return ImportRecord.objects.create(
            kind=kind,
            file_name=file_name[:255],
            user=user if user is not None and user.is_authenticated else None,
            command=command[:64],
            department=department,
            started_at=started_at,
            finished_at=timezone.now(),
            status=status,
            rows_read=rows_read,
            rows_written=rows_written,
            message=message[:500],
            error_count=len({e.row for e in errors}),
            errors=[{"row": e.row, "message": str(e.message)} for e in errors[:IMPORT_ERRORS_KEPT]],
        )
