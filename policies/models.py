from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    EXPIRED = "expired", _("已失效")
    REPEALED = "repealed", _("已废止")


class HowToGet(models.TextChoices):
    AUTOMATIC = "automatic", _("免申即享")
    APPLICATION = "application", _("依申请兑现")


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


class Policy(models.Model):
    """A support policy of the zone with its guide (申兑指南)."""

    code = models.SlugField(_("政策代码"), max_length=64, unique=True)
    title = models.CharField(_("标题"), max_length=200)
    doc_number = models.CharField(_("文号"), max_length=64, blank=True)
    department = models.ForeignKey(
        "accounts.Department", verbose_name=_("发文部门"), on_delete=models.PROTECT, related_name="policies"
    )
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    categories = models.ManyToManyField(Category, verbose_name=_("类别"), related_name="policies", blank=True)
    tags = models.JSONField(_("标签"), default=list, blank=True)
    summary = models.TextField(_("摘要"), blank=True)
    body = models.TextField(_("正文（Markdown）"), blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT
    )
    repeal_reason = models.TextField(_("废止原因"), blank=True)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("被替代为"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supersedes",
    )
    # 申兑指南
    guide_beneficiaries = models.TextField(_("惠及对象"), blank=True)
    guide_conditions = models.TextField(_("申报条件"), blank=True)
    guide_how = models.CharField(_("兑现方式"), max_length=16, choices=HowToGet.choices, blank=True)
    guide_deadline = models.CharField(_("兑现时限"), max_length=200, blank=True)
    guide_office = models.CharField(_("受理地址"), max_length=200, blank=True)
    guide_phone = models.CharField(_("咨询电话"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("政策")
        verbose_name_plural = _("政策")
        ordering = ["-published_on", "-id"]

    def __str__(self) -> str:
        return self.title
