import datetime as dt
import uuid
from pathlib import PurePath

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.search import search_index


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("现行有效")
    EXPIRED = "expired", _("已失效")
    REPEALED = "repealed", _("已废止")


class HowToGet(models.TextChoices):
    AUTOMATIC = "automatic", _("免申即享")
    APPLICATION = "application", _("依申请兑现")


# The guide (申兑指南) fields a published policy must have filled in, with their labels.
GUIDE_FIELDS = (
    ("guide_beneficiaries", _("惠及对象")),
    ("guide_conditions", _("申报条件")),
    ("guide_how", _("兑现方式")),
    ("guide_deadline", _("兑现时限")),
    ("guide_office", _("受理地址")),
    ("guide_phone", _("咨询电话")),
)


class Category(models.Model):
    """A policy category (科技创新, 人才, 产业发展 …)."""

    name = models.CharField(_("名称"), max_length=32, unique=True)
    slug = models.SlugField(_("代码"), max_length=32, unique=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("政策类别")
        verbose_name_plural = _("政策类别")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class PolicyQuerySet(models.QuerySet):
    def public(self):
        """What the public may read: every policy that was ever published."""
        return self.exclude(status=PolicyStatus.DRAFT)

    def published(self):
        """Policies published and not (yet) marked expired or repealed."""
        return self.filter(status=PolicyStatus.PUBLISHED)

    def effective_on(self, day: dt.date):
        """Policies in force on ``day`` by their dates."""
        return self.filter(
            Q(effective_from__isnull=True) | Q(effective_from__lte=day),
            Q(effective_to__isnull=True) | Q(effective_to__gte=day),
        )

    def with_status_now(self, today: dt.date | None = None):
        """Annotate ``status_now``: a published policy past its end date counts as expired already."""
        today = today or timezone.localdate()
        return self.annotate(
            status_now=Case(
                When(status=PolicyStatus.PUBLISHED, effective_to__lt=today, then=Value(PolicyStatus.EXPIRED)),
                default=F("status"),
                output_field=models.CharField(),
            )
        )


class Policy(models.Model):
    """A support policy of the zone with its guide (申兑指南)."""

    code = models.SlugField(_("政策代码"), max_length=64, unique=True)
    title = models.CharField(_("标题"), max_length=200)
    doc_number = models.CharField(_("文号"), max_length=64, blank=True, help_text=_("如 郑高管〔2023〕12号"))
    department = models.ForeignKey(
        "accounts.Department", verbose_name=_("发文部门"), on_delete=models.PROTECT, related_name="policies"
    )
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    effective_to = models.DateField(_("失效日期"), null=True, blank=True, help_text=_("留空表示长期有效"))
    categories = models.ManyToManyField(Category, verbose_name=_("类别"), related_name="policies", blank=True)
    tags = models.JSONField(_("标签"), default=list, blank=True)
    summary = models.TextField(_("摘要"), blank=True)
    body = models.TextField(_("正文（Markdown）"), blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT
    )
    published_at = models.DateTimeField(_("发布操作时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    repeal_reason = models.TextField(_("废止原因"), blank=True)
    repealed_at = models.DateTimeField(_("废止时间"), null=True, blank=True)
    repealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("废止人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("被替代为"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supersedes",
        help_text=_("本政策已被新政策替代时，选择新政策；旧政策页面会注明并链接到新政策。"),
    )
    # 申兑指南
    guide_beneficiaries = models.TextField(_("惠及对象"), blank=True)
    guide_conditions = models.TextField(_("申报条件"), blank=True)
    guide_how = models.CharField(_("兑现方式"), max_length=16, choices=HowToGet.choices, blank=True)
    guide_deadline = models.CharField(_("兑现时限"), max_length=200, blank=True)
    guide_office = models.CharField(_("受理地址"), max_length=200, blank=True)
    guide_phone = models.CharField(_("咨询电话"), max_length=64, blank=True)
    # jieba tokens of the title and of the rest, written by services.policy_save (see portal.search).
    search_title = models.TextField(_("标题分词"), blank=True, editable=False)
    search_body = models.TextField(_("正文分词"), blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("政策")
        verbose_name_plural = _("政策")
        ordering = ["-published_on", "-id"]
        indexes = [
            search_index(name="policy_search_gin", title_field="search_title", body_field="search_body"),
            models.Index(fields=["status", "-published_on"], name="policy_status_published_idx"),
            # The public list and API (every status but draft, newest first) read a page of this index
            # instead of sorting the catalogue; the search index's version reads its last change here.
            models.Index(fields=["-published_on", "-id"], name="policy_published_idx"),
            models.Index(fields=["updated_at"], name="policy_updated_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_from__isnull=True)
                | Q(effective_to__gte=F("effective_from")),
                name="policy_effective_to_after_from",
                violation_error_message=_("失效日期不能早于生效日期。"),
            ),
            models.CheckConstraint(
                condition=~Q(superseded_by=F("pk")),
                name="policy_not_superseded_by_itself",
                violation_error_message=_("政策不能被自己替代。"),
            ),
            models.CheckConstraint(
                condition=Q(status=PolicyStatus.DRAFT) | Q(published_on__isnull=False),
                name="policy_published_has_date",
                violation_error_message=_("已发布的政策须有发布日期。"),
            ),
            models.CheckConstraint(
                condition=~Q(status=PolicyStatus.REPEALED) | ~Q(repeal_reason=""),
                name="policy_repealed_has_reason",
                violation_error_message=_("已废止的政策须有废止原因。"),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("policies:detail", kwargs={"code": self.code})

    def guide_missing(self) -> list[str]:
        """Labels of the guide fields still empty."""
        return [str(label) for name, label in GUIDE_FIELDS if not str(getattr(self, name) or "").strip()]

    @property
    def current_status(self) -> str:
        """The status as the public sees it today: published past its end date is expired."""
        if (
            self.status == PolicyStatus.PUBLISHED
            and self.effective_to is not None
            and self.effective_to < timezone.localdate()
        ):
            return PolicyStatus.EXPIRED
        return self.status

    def get_current_status_display(self) -> str:
        return str(PolicyStatus(self.current_status).label)

    @property
    def is_public(self) -> bool:
        return self.status != PolicyStatus.DRAFT


def attachment_path(instance: "Attachment", filename: str) -> str:
    # A random stored name: the uploaded name is kept in ``name`` and never reaches the file system.
    suffix = PurePath(filename).suffix.lower()
    return f"policies/{timezone.localdate():%Y}/{uuid.uuid4().hex}{suffix}"


class AttachmentKind(models.TextChoices):
    PDF = "pdf", "PDF"
    DOCX = "docx", "DOCX"
    XLSX = "xlsx", "XLSX"


class Attachment(models.Model):
    """A document attached to a policy (原文、申报表 …): PDF, DOCX or XLSX."""

    policy = models.ForeignKey(
        Policy, verbose_name=_("政策"), on_delete=models.CASCADE, related_name="attachments"
    )
    name = models.CharField(_("文件名"), max_length=200)
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=200)
    kind = models.CharField(_("类型"), max_length=8, choices=AttachmentKind.choices)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("policies:attachment", kwargs={"code": self.policy.code, "pk": self.pk})


class Subscription(models.Model):
    """An enterprise user's wish to hear of new policies in a category (政策订阅)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="policy_subscriptions",
    )
    category = models.ForeignKey(
        Category, verbose_name=_("类别"), on_delete=models.CASCADE, related_name="subscriptions"
    )
    created_at = models.DateTimeField(_("订阅时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("政策订阅")
        verbose_name_plural = _("政策订阅")
        ordering = ["user_id", "category_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "category"], name="subscription_once_per_user_category")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.category}"


# Staff edits of the catalogue are kept in the audit log (who, when, from where, what changed).
auditlog.register(Policy, exclude_fields=["search_title", "search_body", "updated_at"])
auditlog.register(Category)
auditlog.register(Attachment)
