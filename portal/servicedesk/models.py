"""万人助万企: enterprise visits (走访) and the problems (诉求) they and other channels collect.

A problem moves ``submitted -> assigned (交办) -> [transferred (转办)] -> answered (反馈) -> closed``, with
``reopened`` when the enterprise is not satisfied (退回重办) and ``withdrawn`` by the enterprise. Each move is
one ``ProblemStep`` of its timeline, written by a service; ``TRANSITIONS`` is the one table of legal moves.
"""

import datetime as dt
import uuid
from pathlib import PurePath

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Working days the zone has to acknowledge a new problem by routing it (首次响应).
FIRST_RESPONSE_WORKDAYS = 1
# Working days an enterprise has to rate an answer; after that the problem closes without a rating.
RATING_WORKDAYS = 5
# Files one submission or answer may carry.
MAX_ATTACHMENTS = 5


class Channel(models.TextChoices):
    VISIT = "visit", _("走访收集")
    PORTAL = "portal", _("门户网站")
    HOTLINE = "hotline", _("书记亲商助企服务热线")
    FAQ = "faq", _("常见问题转办")


class Category(models.TextChoices):
    LAND = "land", _("土地规划")
    PERMITS = "permits", _("审批许可")
    FINANCE = "finance", _("融资金融")
    TALENT = "talent", _("人才用工")
    POLICY = "policy", _("政策兑现")
    UTILITIES = "utilities", _("水电气暖")
    OTHER = "other", _("其他")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("待交办")
    ASSIGNED = "assigned", _("已交办")
    TRANSFERRED = "transferred", _("已转办")
    ANSWERED = "answered", _("已反馈")
    CLOSED = "closed", _("已办结")
    REOPENED = "reopened", _("退回重办")
    WITHDRAWN = "withdrawn", _("已撤回")


class Action(models.TextChoices):
    SUBMIT = "submit", _("提交诉求")
    ASSIGN = "assign", _("交办")
    TRANSFER = "transfer", _("转办")
    ANSWER = "answer", _("反馈")
    CLOSE = "close", _("满意办结")
    AUTO_CLOSE = "auto_close", _("逾期未评价自动办结")
    REOPEN = "reopen", _("不满意退回重办")
    WITHDRAW = "withdraw", _("企业撤回")


# Where a department owes an answer: the answer clock runs in these states.
IN_HANDS = (Status.ASSIGNED, Status.TRANSFERRED, Status.REOPENED)
OPEN = (Status.SUBMITTED, *IN_HANDS, Status.ANSWERED)

# action -> (the states it may start from, the state it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    Action.SUBMIT: ((), Status.SUBMITTED),
    Action.ASSIGN: ((Status.SUBMITTED,), Status.ASSIGNED),
    Action.TRANSFER: (IN_HANDS, Status.TRANSFERRED),
    Action.ANSWER: (IN_HANDS, Status.ANSWERED),
    Action.CLOSE: ((Status.ANSWERED,), Status.CLOSED),
    Action.AUTO_CLOSE: ((Status.ANSWERED,), Status.CLOSED),
    Action.REOPEN: ((Status.ANSWERED,), Status.REOPENED),
    Action.WITHDRAW: ((Status.SUBMITTED, *IN_HANDS), Status.WITHDRAWN),
}


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    UNSATISFIED = "unsatisfied", _("不满意")


# Answer deadlines per category until staff set their own (ServiceLevel rows, seeded from these).
DEFAULT_ANSWER_WORKDAYS = {
    Category.LAND: 15,
    Category.PERMITS: 5,
    Category.FINANCE: 10,
    Category.TALENT: 5,
    Category.POLICY: 10,
    Category.UTILITIES: 3,
    Category.OTHER: 5,
}


class ServiceLevel(models.Model):
    """The answer deadline of a category in working days (办理时限), set by staff."""

    category = models.CharField(_("诉求类别"), max_length=16, choices=Category.choices, unique=True)
    answer_workdays = models.PositiveSmallIntegerField(
        _("办理时限（工作日）"),
        help_text=_(
            "自交办（或转办、退回重办）起，承办部门须在此时限内反馈企业；修改只影响此后开始计时的诉求。"
        ),
    )

    class Meta:
        verbose_name = _("办理时限")
        verbose_name_plural = _("办理时限")
        ordering = ["category"]
        constraints = [
            models.CheckConstraint(condition=Q(answer_workdays__gte=1), name="servicelevel_at_least_one_day"),
        ]

    def __str__(self) -> str:
        return gettext("%(category)s：%(days)s 个工作日") % {
            "category": self.get_category_display(),
            "days": self.answer_workdays,
        }


class Visit(models.Model):
    """One enterprise visit (走访) by zone staff."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("走访人员"), on_delete=models.PROTECT, related_name="visits"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="visits"
    )
    date = models.DateField(_("走访日期"), db_index=True)
    participants = models.CharField(_("参加人员"), max_length=200, blank=True)
    notes = models.TextField(_("走访记录"), blank=True)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("企业走访")
        verbose_name_plural = _("企业走访")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.enterprise}"


class ProblemQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN)

    def overdue(self, now):
        """Past the deadline of the step they wait for: routing (待交办) or an answer (承办中)."""
        return self.filter(
            Q(status=Status.SUBMITTED, first_response_due__lt=now)
            | Q(status__in=IN_HANDS, answer_due__lt=now)
        )

    def resolved(self):
        """Closed with the enterprise satisfied, or closed without a rating once the rating window ran out."""
        return self.filter(status=Status.CLOSED).filter(
            Q(satisfaction=Satisfaction.SATISFIED) | Q(satisfaction="")
        )

    def created_between(self, start, end):
        """Created on local dates ``start``..``end`` (both included)."""
        return self.filter(created_at__gte=_day_start(start), created_at__lt=_day_start(end, 1))


def _day_start(day: dt.date, plus_days: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=plus_days), dt.time.min))


class Problem(models.Model):
    """An enterprise's problem (企业诉求), from any channel, routed to the responsible department."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="problems"
    )
    channel = models.CharField(_("来源渠道"), max_length=16, choices=Channel.choices)
    visit = models.ForeignKey(
        Visit,
        verbose_name=_("走访记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problems",
    )
    category = models.CharField(_("诉求类别"), max_length=16, choices=Category.choices)
    title = models.CharField(_("诉求标题"), max_length=200)
    description = models.TextField(_("诉求内容"))
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("承办部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problems",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handled_problems",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now, db_index=True)
    # Deadlines are set by the service that starts each clock; empty while the calendar of the year
    # they fall in is not loaded (the hourly sweep fills them in once it is).
    first_response_due = models.DateTimeField(_("交办时限"), null=True, blank=True)
    responded_at = models.DateTimeField(_("首次交办时间"), null=True, blank=True)
    answer_started_at = models.DateTimeField(_("本轮办理起始"), null=True, blank=True)
    answer_due = models.DateTimeField(_("反馈时限"), null=True, blank=True)
    answered_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    rating_due = models.DateTimeField(_("评价截止"), null=True, blank=True)
    satisfaction = models.CharField(_("企业评价"), max_length=16, choices=Satisfaction.choices, blank=True)
    rating_comment = models.TextField(_("评价意见"), blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    objects = ProblemQuerySet.as_manager()

    class Meta:
        verbose_name = _("企业诉求")
        verbose_name_plural = _("企业诉求")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["department", "status"], name="problem_department_status_idx"),
            models.Index(fields=["enterprise", "-created_at"], name="problem_enterprise_idx"),
            # The hourly SLA sweep reads only the problems still waiting for a step (overdue()).
            models.Index(
                fields=["first_response_due"],
                condition=Q(status=Status.SUBMITTED),
                name="problem_awaiting_routing_idx",
            ),
            models.Index(
                fields=["answer_due"],
                condition=Q(status__in=IN_HANDS),
                name="problem_awaiting_answer_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="problem_status_valid"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="problem_channel_valid"),
            models.CheckConstraint(condition=Q(category__in=Category.values), name="problem_category_valid"),
            models.CheckConstraint(
                condition=(Q(channel=Channel.VISIT) & Q(visit__isnull=False))
                | (~Q(channel=Channel.VISIT) & Q(visit__isnull=True)),
                name="problem_visit_iff_visit_channel",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[Status.SUBMITTED, Status.WITHDRAWN]) | Q(department__isnull=False),
                name="problem_routed_has_department",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.CLOSED)
                | (Q(closed_at__isnull=False) & ~Q(satisfaction=Satisfaction.UNSATISFIED)),
                name="problem_closed_not_unsatisfied",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def current_due(self):
        """The deadline the problem now waits on, if any."""
        if self.status == Status.SUBMITTED:
            return self.first_response_due
        if self.status in IN_HANDS:
            return self.answer_due
        return None

    @property
    def is_overdue(self) -> bool:
        due = self.current_due
        return due is not None and due < timezone.now()

    @property
    def is_resolved(self) -> bool:
        return self.status == Status.CLOSED and self.satisfaction != Satisfaction.UNSATISFIED


class ProblemStep(models.Model):
    """One step of a problem's timeline (办理记录): who did what, when, and why."""

    problem = models.ForeignKey(
        Problem, verbose_name=_("诉求"), on_delete=models.CASCADE, related_name="steps"
    )
    action = models.CharField(_("环节"), max_length=16, choices=Action.choices)
    from_status = models.CharField(_("原状态"), max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("为空表示系统自动处理。"),
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("承办部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"


class EscalationKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("超时未交办")
    ANSWER = "answer", _("超时未反馈")


class Escalation(models.Model):
    """A missed deadline reported to a department head (超期督办); one per problem and deadline."""

    problem = models.ForeignKey(
        Problem, verbose_name=_("诉求"), on_delete=models.CASCADE, related_name="escalations"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=EscalationKind.choices)
    due = models.DateTimeField(_("已超过的时限"))
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("责任部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    notified = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("督办对象"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("督办时间"), default=timezone.now)

    class Meta:
        verbose_name = _("超期督办")
        verbose_name_plural = _("超期督办")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["problem", "kind", "due"], name="escalation_once_per_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.problem_id}"


def _attachment_path(instance, filename: str) -> str:
    # A random name: the file's place says nothing about its problem or its content.
    suffix = PurePath(filename).suffix.lower()
    return f"servicedesk/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class ProblemAttachment(models.Model):
    """A document an enterprise sent with its problem, or a department with its answer."""

    problem = models.ForeignKey(
        Problem, verbose_name=_("诉求"), on_delete=models.CASCADE, related_name="attachments"
    )
    step = models.ForeignKey(
        ProblemStep,
        verbose_name=_("所属环节"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attachments",
    )
    file = models.FileField(_("文件"), upload_to=_attachment_path)
    name = models.CharField(_("文件名"), max_length=200)
    kind = models.CharField(_("格式"), max_length=8)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("诉求附件")
        verbose_name_plural = _("诉求附件")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


# Every change of a problem is kept in the audit log besides its own timeline (ProblemStep).
auditlog.register(Problem)
auditlog.register(ServiceLevel)
