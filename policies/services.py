"""Writes to the policy catalogue: saving, publishing, repealing, attachments, subscriptions."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from policies.models import Attachment, Category, Policy, PolicyStatus, Subscription
from policies.rendering import plain_text
from portal import stats
from portal.search import search_document

# Codes that would collide with the catalogue's own pages under /policies/.
RESERVED_CODES = frozenset({"subscriptions"})


class PolicyError(Exception):
    """A write to the policy catalogue that is refused, with a message for people."""


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        parts = []
        for field, errors in exc.message_dict.items():
            if field == "__all__":
                parts.extend(errors)
                continue
            label = Policy._meta.get_field(field).verbose_name if field != "__all__" else ""
            parts.extend(f"{label}：{e}" for e in errors)
        return "；".join(parts)
    return "；".join(exc.messages)


def search_fields_fill(policy: Policy) -> None:
    """Set the policy's token columns from its current text (title apart, for ranking)."""
    policy.search_title = search_document(policy.title)
    policy.search_body = search_document(
        policy.doc_number,
        policy.summary,
        plain_text(policy.body),
        " ".join(policy.tags or []),
        policy.guide_beneficiaries,
        policy.guide_conditions,
    )


@transaction.atomic
def policy_save(*, policy: Policy, categories: Iterable[Category] | None = None, user=None) -> Policy:
    """Create or update a policy's text and guide; the status changes only through publish and repeal."""
    if policy.pk is not None:
        current = Policy.objects.select_for_update().filter(pk=policy.pk).values("status").first()
        if current is None:
            raise PolicyError(_("政策不存在或已被删除。"))
        if current["status"] != policy.status:
            raise PolicyError(_("政策状态只能通过“发布”“废止”操作改变。"))
    elif policy.status != PolicyStatus.DRAFT:
        raise PolicyError(_("新政策须先保存为草稿，再发布。"))
    policy_validate(policy=policy)
    policy.tags = [str(t).strip() for t in (policy.tags or []) if str(t).strip()]
    try:
        policy.full_clean(exclude=["categories"])
    except ValidationError as exc:
        raise PolicyError(_messages(exc)) from exc
    search_fields_fill(policy)
    policy.save()
    if categories is not None:
        policy.categories.set(categories)
    if policy.is_public:
        stats.invalidate()
    return policy


def policy_validate(*, policy: Policy) -> None:
    """The catalogue's rules for a policy's content, beyond its fields: raises PolicyError."""
    if policy.code in RESERVED_CODES:
        raise PolicyError(_("政策代码“%(code)s”为系统保留，请换一个。") % {"code": policy.code})
    if policy.is_public:
        missing = policy.guide_missing()
        if missing:
            raise PolicyError(
                _("已发布的政策须有完整的申兑指南，缺少：%(fields)s。") % {"fields": "、".join(missing)}
            )
    if policy.superseded_by_id is not None:
        _check_supersession(policy)


def _check_supersession(policy: Policy) -> None:
    """A policy cannot be superseded by itself, nor by one that it (indirectly) supersedes."""
    seen = {policy.pk}
    newer_id = policy.superseded_by_id
    while newer_id is not None:
        if newer_id in seen:
            raise PolicyError(_("替代关系不能形成循环：新政策不能是本政策或被本政策替代的政策。"))
        seen.add(newer_id)
        newer_id = Policy.objects.filter(pk=newer_id).values_list("superseded_by_id", flat=True).first()


def _queue_subscriber_notice(policy_id: int) -> None:
    # Imported when queueing, after commit: tasks import this module, this module does not import them.
    from policies.tasks import notify_policy_subscribers

    notify_policy_subscribers.delay(policy_id)


@transaction.atomic
def policy_publish(*, policy: Policy, user=None) -> Policy:
    """Publish a draft policy whose guide is complete; subscribers hear of it after commit, once."""
    locked = Policy.objects.select_for_update().get(pk=policy.pk)
    if locked.status != PolicyStatus.DRAFT:
        raise PolicyError(
            _("只有草稿可以发布；《%(title)s》当前状态为“%(status)s”。")
            % {"title": locked.title, "status": locked.get_status_display()}
        )
    missing = locked.guide_missing()
    if missing:
        raise PolicyError(
            _("《%(title)s》的申兑指南不完整，不能发布。缺少：%(fields)s。")
            % {"title": locked.title, "fields": "、".join(missing)}
        )
    today = timezone.localdate()
    locked.published_on = locked.published_on or today
    locked.effective_from = locked.effective_from or locked.published_on
    if locked.effective_to is not None and locked.effective_to < locked.effective_from:
        raise PolicyError(_("失效日期早于生效日期，不能发布。"))
    # A policy entered after its end date (an old one, for the record) goes straight to expired.
    expired = locked.effective_to is not None and locked.effective_to < today
    locked.status = PolicyStatus.EXPIRED if expired else PolicyStatus.PUBLISHED
    locked.published_at = timezone.now()
    locked.published_by = user if user is not None and user.pk else None
    locked.save(
        update_fields=[
            "status",
            "published_on",
            "effective_from",
            "published_at",
            "published_by",
            "updated_at",
        ]
    )
    if not expired:
        policy_id = locked.pk
        transaction.on_commit(lambda: _queue_subscriber_notice(policy_id))
    stats.invalidate()
    _copy_state(locked, policy)
    return policy


@transaction.atomic
def policy_repeal(*, policy: Policy, reason: str, user=None) -> Policy:
    """Repeal a published (or expired) policy, with the reason shown on its page."""
    reason = (reason or "").strip()
    if not reason:
        raise PolicyError(_("废止政策须填写废止原因。"))
    locked = Policy.objects.select_for_update().get(pk=policy.pk)
    if locked.status not in (PolicyStatus.PUBLISHED, PolicyStatus.EXPIRED):
        raise PolicyError(
            _("只有已发布或已失效的政策可以废止；《%(title)s》当前状态为“%(status)s”。")
            % {"title": locked.title, "status": locked.get_status_display()}
        )
    locked.status = PolicyStatus.REPEALED
    locked.repeal_reason = reason
    locked.repealed_at = timezone.now()
    locked.repealed_by = user if user is not None and user.pk else None
    locked.save(update_fields=["status", "repeal_reason", "repealed_at", "repealed_by", "updated_at"])
    stats.invalidate()
    _copy_state(locked, policy)
    return policy


def _copy_state(source: Policy, target: Policy) -> None:
    if source is target:
        return
    for name in (
        "status",
        "published_on",
        "effective_from",
        "published_at",
        "published_by_id",
        "repeal_reason",
        "repealed_at",
        "repealed_by_id",
    ):
        setattr(target, name, getattr(source, name))


def policies_expire(*, today=None) -> int:
    """Mark published policies past their end date as expired; returns how many changed."""
    today = today or timezone.localdate()
    changed = Policy.objects.filter(status=PolicyStatus.PUBLISHED, effective_to__lt=today).update(
        status=PolicyStatus.EXPIRED, updated_at=timezone.now()
    )
    if changed:
        stats.invalidate()
    return changed


def policy_subscribers_notify(*, policy_id: int) -> int:
    """Tell every subscriber of the policy's categories, in the inbox and by email; once each."""
    from policies.selectors import subscribers_of
    from portal.accounts.services import notify

    policy = Policy.objects.filter(pk=policy_id, status=PolicyStatus.PUBLISHED).first()
    if policy is None:
        return 0
    recipients = list(subscribers_of(policy=policy))
    categories = "、".join(policy.categories.values_list("name", flat=True))
    return notify(
        recipients=recipients,
        key=f"policy-published:{policy.pk}",
        title=_("新政策发布：%(title)s") % {"title": policy.title},
        body=_("您订阅的“%(categories)s”类别发布了新政策。%(summary)s")
        % {"categories": categories, "summary": policy.summary},
        url=reverse("policies:detail", kwargs={"code": policy.code}),
        email=True,
    )


@transaction.atomic
def policy_attachment_add(*, policy: Policy, file, name: str = "") -> Attachment:
    """Attach a PDF, DOCX or XLSX document, recognised by its content, within the size limit."""
    from portal.attachments import validate_attachment

    try:
        kind = validate_attachment(file)
    except ValidationError as exc:
        raise PolicyError("；".join(exc.messages)) from exc
    display = (name or file.name or "").strip().replace("/", "_").replace("\\", "_")[:200]
    attachment = Attachment(policy=policy, name=display or f"attachment.{kind}", kind=kind, size=file.size)
    attachment.file.save(file.name, file, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def policy_attachment_remove(*, attachment: Attachment) -> None:
    """Remove an attachment and, after commit, its stored file."""
    storage, name = attachment.file.storage, attachment.file.name
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def subscriptions_set(*, user, categories: Iterable[Category]) -> list[Category]:
    """Make the user's subscriptions exactly these categories (enterprise users only)."""
    if not getattr(user, "is_enterprise_user", False):
        raise PolicyError(_("只有企业用户可以订阅政策。"))
    wanted = {c.pk: c for c in categories}
    current = set(Subscription.objects.filter(user=user).values_list("category_id", flat=True))
    Subscription.objects.filter(user=user).exclude(category_id__in=wanted).delete()
    Subscription.objects.bulk_create(
        [Subscription(user=user, category_id=pk) for pk in wanted if pk not in current],
        ignore_conflicts=True,
    )
    return sorted(wanted.values(), key=lambda c: (c.order, c.pk))


# The fields an import entry sets directly on the policy.
_IMPORT_FIELDS = (
    "title",
    "doc_number",
    "department",
    "published_on",
    "effective_from",
    "effective_to",
    "tags",
    "summary",
    "body",
    "guide_beneficiaries",
    "guide_conditions",
    "guide_how",
    "guide_deadline",
    "guide_office",
    "guide_phone",
)


def policies_import(*, data: bytes, dry_run: bool = False, user=None, progress=None):
    """Upsert policies by code from a JSON file, all entries or none; publish those marked published."""
    from policies import imports

    report = imports.PolicyImportReport(dry_run=dry_run)
    entries = imports.load_entries(data)
    cleaned = imports.validate(entries, report)
    if report.errors or dry_run:
        return report
    index_of = {e.get("code"): i for i, e in enumerate(entries) if isinstance(e, dict)}
    try:
        with transaction.atomic():
            for clean in cleaned:
                _import_one(clean, report=report, user=user)
                if progress:
                    progress(1)
    except PolicyError as exc:
        # A rule checked only on writing (a constraint of the catalogue): nothing is kept.
        code = getattr(exc, "code", "")
        report.errors.append(imports.EntryError(index_of.get(code, 0), code, str(exc)))
        report.created = report.updated = report.unchanged = report.published = 0
    return report


def _import_one(clean: dict, *, report, user) -> None:
    policy = Policy.objects.filter(code=clean["code"]).first()
    created = policy is None
    if created:
        policy = Policy(code=clean["code"])
    changed = created or any(getattr(policy, name) != clean[name] for name in _IMPORT_FIELDS)
    current_categories = set() if created else set(policy.categories.values_list("pk", flat=True))
    categories_changed = current_categories != {c.pk for c in clean["categories"]}
    for name in _IMPORT_FIELDS:
        setattr(policy, name, clean[name])
    try:
        if changed or categories_changed:
            policy_save(policy=policy, categories=clean["categories"], user=user)
        if clean["status"] == PolicyStatus.PUBLISHED and policy.status == PolicyStatus.DRAFT:
            policy_publish(policy=policy, user=user)
            report.published += 1
    except PolicyError as exc:
        exc.code = clean["code"]
        raise
    if created:
        report.created += 1
    elif changed or categories_changed:
        report.updated += 1
    else:
        report.unchanged += 1
