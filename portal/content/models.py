from auditlog.registry import auditlog
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.content.periods import PERIOD_PATTERN
from portal.search import search_index


class ArticleCategory(models.TextChoices):
    NEWS = "news", _("要闻动态")
    NOTICE = "notice", _("通知公告")
    INTERPRETATION = "interpretation", _("政策解读")
    MEDIA = "media", _("媒体报道")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("发布")


class Article(models.Model):
    """A news article (新闻动态); visible once published and its publishing time has come."""

    category = models.CharField(_("栏目"), max_length=16, choices=ArticleCategory.choices)
    title = models.CharField(_("标题"), max_length=200)
    slug = models.SlugField(
        _("网址代码"), max_length=80, unique=True, blank=True, help_text=_("留空则自动生成。")
    )
    summary = models.CharField(_("摘要"), max_length=300, blank=True)
    body = models.TextField(_("正文（Markdown）"))
    cover = models.ImageField(_("封面图片"), upload_to="content/covers/", blank=True)
    author = models.CharField(_("作者 / 来源"), max_length=64, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    publish_at = models.DateTimeField(
        _("发布时间"), null=True, blank=True, db_index=True, help_text=_("设为将来的时间即定时发布。")
    )
    related_policies = models.ManyToManyField(
        "policies.Policy", verbose_name=_("相关政策"), related_name="articles", blank=True
    )
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # jieba tokens of the title and of the rest, written by services.article_save (see portal.search).
    search_title = models.TextField(_("标题分词"), blank=True, editable=False)
    search_body = models.TextField(_("正文分词"), blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("新闻")
        verbose_name_plural = _("新闻")
        ordering = ["-publish_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(publish_at__isnull=False),
                name="article_published_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "category", "publish_at"], name="article_listing_idx"),
            # The search index's version reads the last change here (not a scan of every article).
            models.Index(fields=["updated_at"], name="article_updated_idx"),
            search_index(name="article_search_gin", title_field="search_title", body_field="search_body"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("content:article", kwargs={"slug": self.slug})

    @property
    def is_public(self) -> bool:
        """Published and its time has come: what a visitor can read."""
        return (
            self.status == ArticleStatus.PUBLISHED
            and self.publish_at is not None
            and self.publish_at <= timezone.now()
        )


class DeskCategory(models.TextChoices):
    """The service desk's problem categories, for handing an unanswered question over."""

    LAND = "land", _("用地")
    PERMITS = "permits", _("审批许可")
    FINANCE = "finance", _("金融财税")
    TALENT = "talent", _("人才用工")
    POLICY = "policy", _("政策兑现")
    UTILITIES = "utilities", _("水电气暖")
    OTHER = "other", _("其他")


class FaqCategory(models.Model):
    """A group of frequently asked questions (企业开办, 科技创新 …)."""

    name = models.CharField(_("名称"), max_length=32, unique=True)
    slug = models.SlugField(_("代码"), max_length=32, unique=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    desk_category = models.CharField(
        _("转服务台时的问题类别"), max_length=16, choices=DeskCategory.choices, default=DeskCategory.OTHER
    )

    class Meta:
        verbose_name = _("问题类别")
        verbose_name_plural = _("问题类别")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class Faq(models.Model):
    """A high-frequency question with its answer (秒回复)."""

    category = models.ForeignKey(
        FaqCategory, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="faqs"
    )
    question = models.CharField(_("问题"), max_length=200, unique=True)
    answer = models.TextField(_("答复（Markdown）"))
    keywords = models.CharField(
        _("关键词"), max_length=200, blank=True, help_text=_("用空格或逗号分隔，帮助匹配提问。")
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_published = models.BooleanField(_("公开"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("常见问题")
        verbose_name_plural = _("常见问题")
        ordering = ["category__order", "order", "id"]

    def __str__(self) -> str:
        return self.question

    def get_absolute_url(self) -> str:
        return reverse("content:faq_detail", kwargs={"pk": self.pk})


class FaqFeedback(models.Model):
    """A visitor's "was this helpful" on one answer; one per visitor session and question."""

    faq = models.ForeignKey(Faq, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField(_("有帮助"))
    session_key = models.CharField(_("会话"), max_length=64)
    # What the visitor had typed when this answer was offered (normalised); empty when they came by browsing.
    query = models.CharField(_("访客的提问"), max_length=100, blank=True, default="")
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("答复评价")
        verbose_name_plural = _("答复评价")
        constraints = [
            models.UniqueConstraint(fields=["faq", "session_key"], name="faq_feedback_once_per_session")
        ]
        indexes = [models.Index(fields=["query", "faq"], name="faq_feedback_query_idx")]

    def __str__(self) -> str:
        return f"{self.faq}：{'有帮助' if self.helpful else '没有帮助'}"


class LearnedPhrasing(models.Model):
    """Visitors' wording of a question (学到的问法), learned from their 有帮助 votes; matched like it.

    Learned once ``LEARN_MIN_SESSIONS`` different visitors typed it and found the answer helpful; at most
    ``LEARNED_MAX_PER_FAQ`` per question. Staff delete the ones that should not count.
    """

    faq = models.ForeignKey(
        Faq, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="learned_phrasings"
    )
    text = models.CharField(_("问法"), max_length=100)
    sessions = models.PositiveIntegerField(_("认可的访客数"), default=0)
    created_at = models.DateTimeField(_("学到的时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("学到的问法")
        verbose_name_plural = _("学到的问法")
        ordering = ["faq_id", "-sessions", "id"]
        constraints = [models.UniqueConstraint(fields=["faq", "text"], name="learned_phrasing_once_per_faq")]

    def __str__(self) -> str:
        return self.text


class SynonymGroup(models.Model):
    """Words that mean the same to a visitor (高企 = 高新技术企业), used when matching questions."""

    words = models.CharField(
        _("同义词"),
        max_length=200,
        unique=True,
        help_text=_(
            "用空格、逗号或“=”分隔，至少两个词；英文词组用“=”隔开，"
            "如“高企 高新技术企业 = high-tech enterprise”。"
        ),
    )

    class Meta:
        verbose_name = _("同义词")
        verbose_name_plural = _("同义词")
        ordering = ["id"]

    def __str__(self) -> str:
        return " = ".join(self.word_list)

    @property
    def word_list(self) -> list[str]:
        from portal.content.matching import split_words

        return split_words(self.words)

    def clean(self):
        if len(self.word_list) < 2:
            raise ValidationError({"words": _("至少要有两个词，例如“高企 高新技术企业”。")})


validate_period = RegexValidator(
    PERIOD_PATTERN, _("期间格式应为 2023、2023H1、2023H2 或 2023Q1 至 2023Q4。"), code="period"
)


class Indicator(models.Model):
    """One economic figure of the zone for a period (地区生产总值 2023H1 …)."""

    period = models.CharField(_("期间"), max_length=8, validators=[validate_period], db_index=True)
    name = models.CharField(_("指标"), max_length=64)
    value = models.DecimalField(_("数值"), max_digits=16, decimal_places=2, null=True, blank=True)
    unit = models.CharField(_("单位"), max_length=16, blank=True)
    yoy_growth = models.DecimalField(
        _("同比增长（%）"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    source = models.CharField(_("来源"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("经济指标")
        verbose_name_plural = _("经济指标")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["period", "name"], name="indicator_once_per_period"),
            models.CheckConstraint(
                condition=Q(value__isnull=False) | Q(yoy_growth__isnull=False),
                name="indicator_has_value_or_growth",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.name}"


# Staff edits of public content are kept in the audit log.
auditlog.register(Article, exclude_fields=["search_title", "search_body", "updated_at"])
auditlog.register(FaqCategory)
auditlog.register(Faq, exclude_fields=["updated_at"])
auditlog.register(LearnedPhrasing)
auditlog.register(SynonymGroup)
auditlog.register(Indicator, exclude_fields=["updated_at"])
