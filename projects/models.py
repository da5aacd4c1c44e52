"""Project approval tracking: a project, its filing, the four permits, joint acceptance, weekly dispatch."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# 全国投资项目在线审批监管平台 code: 赋码年月 YYMM - 行政区划 (6) - 行业 (2) - 项目类型 (2) - 流水号 (6).
PROJECT_CODE_RE = re.compile(r"^(?P<yy>\d{2})(?P<mm>\d{2})-(?P<region>\d{6})-\d{2}-\d{2}-\d{6}$")
# Province-level prefixes of GB/T 2260 administrative division codes.
PROVINCE_CODES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)


def validate_project_code(value: str) -> None:
    """The national project code: shape YYMM-XXXXXX-XX-XX-XXXXXX, a real month and a real province."""
    match = PROJECT_CODE_RE.match(value or "")
    if match is None:
        raise ValidationError(
            _("项目代码格式应为 YYMM-XXXXXX-XX-XX-XXXXXX（如 2301-410171-04-01-123456）：%(v)s"),
            params={"v": value},
            code="project_code",
        )
    if not 1 <= int(match["mm"]) <= 12:
        raise ValidationError(
            _("项目代码中的赋码月份 %(mm)s 不存在：%(v)s"),
            params={"mm": match["mm"], "v": value},
            code="project_code_month",
        )
    if match["region"][:2] not in PROVINCE_CODES:
        raise ValidationError(
            _("项目代码中的行政区划代码 %(region)s 无效：%(v)s"),
            params={"region": match["region"], "v": value},
            code="project_code_region",
        )


class Stage(models.TextChoices):
    """Where a project stands, derived from its records (see services.stage_of)."""

    FILING = "filing", _("备案")
    LAND = "land", _("拿地")
    PERMITS = "permits", _("办理四证")
    CONSTRUCTION = "construction", _("施工建设")
    ACCEPTANCE = "acceptance", _("竣工验收")
    OPERATING = "operating", _("投产运营")


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff who may view projects see every project; an enterprise user only its own; anyone else
        (the system, security and audit administrators included) none."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self if user.has_perm("projects.view_project") else self.none()
        if user.enterprise_id is not None:
            return self.filter(enterprise_id=user.enterprise_id)
        return self.none()

    def overdue(self, now):
        """Projects with a filing, permit or 告知承诺 commitment past its deadline at ``now``."""
        return self.filter(
            Exists(Filing.objects.overdue(now).filter(project=OuterRef("pk")))
            | Exists(Permit.objects.overdue(now).filter(project=OuterRef("pk")))
            | Exists(PermitCommitment.objects.overdue(now).filter(permit__project=OuterRef("pk")))
        )


class Project(models.Model):
    """A construction project of an enterprise, followed from filing to operation."""

    code = models.CharField(
        _("项目代码"),
        max_length=24,
        unique=True,
        validators=[validate_project_code],
        help_text=_("全国投资项目在线审批监管平台赋码，如 2301-410171-04-01-123456"),
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="projects"
    )
    name = models.CharField(_("项目名称"), max_length=200)
    site = models.CharField(_("建设地点"), max_length=200)
    parcel_number = models.CharField(_("地块编号"), max_length=64, blank=True)
    total_investment = models.DecimalField(_("总投资（万元）"), max_digits=14, decimal_places=2)
    industry = models.CharField(_("所属行业"), max_length=64, blank=True)
    is_key = models.BooleanField(_("重点项目"), default=False)
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("分包人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="coordinated_projects",
        limit_choices_to={"is_staff": True},
        help_text=_("专人分包：负责跟踪该项目的园区工作人员"),
    )
    land_transferred_on = models.DateField(_("拿地日期"), null=True, blank=True)
    is_custom_industrial_land = models.BooleanField(
        _("工业定制地"), default=False, help_text=_("工业定制地带施工图出让，拿地即开工")
    )
    stage = models.CharField(
        _("阶段"), max_length=16, choices=Stage.choices, default=Stage.FILING, editable=False
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_investment__gte=0), name="project_investment_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["stage"], name="project_stage_idx")]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class FilingStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    ACCEPTED = "accepted", _("已受理")
    COMPLETED = "completed", _("已办结")


class FilingOutcome(models.TextChoices):
    FILED = "filed", _("予以备案")
    RETURNED = "returned", _("退回补正")


class FilingQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status=FilingStatus.COMPLETED)

    def overdue(self, now):
        """Filings not completed whose deadline has passed at ``now``."""
        return self.open().filter(due_at__lt=now)

    def filed_between(self, start, end):
        """Filings completed with 予以备案 on a local date in ``start``..``end``."""
        return self.filter(
            outcome=FilingOutcome.FILED, completed_at__date__gte=start, completed_at__date__lte=end
        )


class Filing(models.Model):
    """企业投资备案: the enterprise files its investment project; target one working day."""

    TARGET_WORKDAYS = 1

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="filings"
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("受理部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=FilingStatus.choices, default=FilingStatus.SUBMITTED
    )
    outcome = models.CharField(_("办理结果"), max_length=12, choices=FilingOutcome.choices, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    due_at = models.DateTimeField(_("办理时限"), help_text=_("提交后 1 个工作日内办结"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("审核意见"), blank=True)
    overdue_flagged_at = models.DateTimeField(_("超时提醒时间"), null=True, blank=True)

    objects = FilingQuerySet.as_manager()

    class Meta:
        verbose_name = _("企业投资备案")
        verbose_name_plural = _("企业投资备案")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(status=FilingStatus.COMPLETED, completed_at__isnull=False)
                    & ~Q(outcome="")
                    & Q(accepted_at__isnull=False)
                )
                | (~Q(status=FilingStatus.COMPLETED) & Q(completed_at__isnull=True, outcome="")),
                name="filing_completed_iff_outcome",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(accepted_at__gte=F("submitted_at")),
                name="filing_accepted_after_submitted",
            ),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | Q(completed_at__gte=F("accepted_at")),
                name="filing_completed_after_accepted",
            ),
            # A project has one filing in force; a returned one may be followed by a new submission.
            models.UniqueConstraint(
                fields=["project"],
                condition=~Q(outcome=FilingOutcome.RETURNED),
                name="filing_one_live_per_project",
            ),
        ]
        indexes = [models.Index(fields=["completed_at"], name="filing_completed_idx")]

    def __str__(self) -> str:
        return _("%(project)s 备案") % {"project": self.project.name}

    def is_overdue_at(self, now) -> bool:
        """The Python twin of ``Filing.objects.overdue(now)``."""
        return self.status != FilingStatus.COMPLETED and self.due_at < now


class ReportKind(models.TextChoices):
    START = "start", _("开工")
    CHANGE = "change", _("变更")
    COMPLETION = "completion", _("竣工")


class FilingReport(models.Model):
    """What the enterprise reports after filing: construction start, a change, completion."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="reports"
    )
    kind = models.CharField(_("报告类型"), max_length=12, choices=ReportKind.choices)
    reported_on = models.DateField(_("日期"))
    content = models.TextField(_("内容"), blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报告人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("报告时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("备案后报告")
        verbose_name_plural = _("备案后报告")
        ordering = ["reported_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind"],
                condition=Q(kind__in=["start", "completion"]),
                name="report_one_start_and_one_completion",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.name} {self.get_kind_display()} {self.reported_on}"


# The four permits (四证) seeded by migration; "四证齐发" means all four issued on the land-transfer day.
LAND_USE_PLANNING = "land_use_planning"
WORKS_PLANNING = "works_planning"
PROPERTY_TITLE = "property_title"
CONSTRUCTION = "construction"
FOUR_PERMITS = (LAND_USE_PLANNING, WORKS_PLANNING, PROPERTY_TITLE, CONSTRUCTION)


class PermitType(models.Model):
    """One of the four permits (四证), with its issuing department and its time limit."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64, unique=True)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("发证部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sla_workdays = models.PositiveSmallIntegerField(_("办理时限（工作日）"))
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("证照类型")
        verbose_name_plural = _("证照类型")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class PermitStatus(models.TextChoices):
    APPLIED = "applied", _("已申请")
    UNDER_REVIEW = "under_review", _("审查中")
    ISSUED = "issued", _("已发证")
    REJECTED = "rejected", _("不予许可")


OPEN_PERMIT_STATUSES = (PermitStatus.APPLIED, PermitStatus.UNDER_REVIEW)


class PermitQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_PERMIT_STATUSES)

    def paused(self):
        return self.filter(Exists(PermitPause.objects.filter(permit=OuterRef("pk"), ended_at__isnull=True)))

    def overdue(self, now):
        """Permits under way, not paused (the clock stops), whose deadline has passed at ``now``."""
        running = ~Exists(PermitPause.objects.filter(permit=OuterRef("pk"), ended_at__isnull=True))
        return self.open().filter(running, due_at__lt=now)


class Permit(models.Model):
    """A permit of a project: applied, reviewed step by step, then issued or refused."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="permits"
    )
    permit_type = models.ForeignKey(
        PermitType, verbose_name=_("证照类型"), on_delete=models.PROTECT, related_name="permits"
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=PermitStatus.choices, default=PermitStatus.APPLIED
    )
    applied_at = models.DateTimeField(_("申请时间"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    issued_at = models.DateTimeField(_("发证时间"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("不予许可时间"), null=True, blank=True)
    due_at = models.DateTimeField(_("办理时限"), help_text=_("按工作日计，暂停期间顺延"))
    certificate_number = models.CharField(_("证书编号"), max_length=64, blank=True)
    is_commitment = models.BooleanField(
        _("告知承诺制"), default=False, help_text=_("凭申请人书面承诺先行发证，材料后补")
    )
    reason = models.TextField(_("不予许可理由"), blank=True)
    overdue_flagged_at = models.DateTimeField(_("超时提醒时间"), null=True, blank=True)

    objects = PermitQuerySet.as_manager()

    class Meta:
        verbose_name = _("证照")
        verbose_name_plural = _("证照")
        ordering = ["-applied_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "permit_type"],
                condition=~Q(status=PermitStatus.REJECTED),
                name="permit_one_live_per_type",
            ),
            models.UniqueConstraint(
                fields=["permit_type", "certificate_number"],
                condition=~Q(certificate_number=""),
                name="permit_certificate_number_unique",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=PermitStatus.ISSUED) & Q(issued_at__isnull=False) & ~Q(certificate_number="")
                )
                | (~Q(status=PermitStatus.ISSUED) & Q(issued_at__isnull=True)),
                name="permit_issued_iff_certificate",
            ),
            models.CheckConstraint(
                condition=Q(status=PermitStatus.REJECTED, rejected_at__isnull=False)
                | (~Q(status=PermitStatus.REJECTED) & Q(rejected_at__isnull=True)),
                name="permit_rejected_iff_rejected_at",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(accepted_at__gte=F("applied_at")),
                name="permit_accepted_after_applied",
            ),
            models.CheckConstraint(
                condition=Q(issued_at__isnull=True) | Q(issued_at__gte=F("accepted_at")),
                name="permit_issued_after_accepted",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="permit_status_due_idx")]

    def __str__(self) -> str:
        return f"{self.project.name} · {self.permit_type.name}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_PERMIT_STATUSES

    @property
    def open_pause(self):
        """The pause running now, if any (reads prefetched pauses)."""
        return next((p for p in self.pauses.all() if p.ended_at is None), None)

    def is_overdue_at(self, now) -> bool:
        """The Python twin of ``Permit.objects.overdue(now)`` (reads prefetched pauses)."""
        return self.is_open and self.open_pause is None and self.due_at < now


class StepKind(models.TextChoices):
    ACCEPTANCE = "acceptance", _("受理")
    REVIEW = "review", _("审查")
    APPROVAL = "approval", _("审批")


# The order the review steps follow: closing one opens the next.
STEP_SEQUENCE = (StepKind.ACCEPTANCE, StepKind.REVIEW, StepKind.APPROVAL)


class PermitStep(models.Model):
    """One review step of a permit (受理, 审查, 审批); a permit is issued only when none is open."""

    permit = models.ForeignKey(Permit, verbose_name=_("证照"), on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("环节"), max_length=12, choices=StepKind.choices)
    opened_at = models.DateTimeField(_("开始时间"))
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("意见"), blank=True)

    class Meta:
        verbose_name = _("审查环节")
        verbose_name_plural = _("审查环节")
        ordering = ["opened_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["permit", "kind"], condition=Q(closed_at__isnull=True), name="step_one_open_per_kind"
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=F("opened_at")),
                name="step_closed_after_opened",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.permit} · {self.get_kind_display()}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class PermitPause(models.Model):
    """A span when a permit waits on the applicant (补正材料): its clock stops."""

    permit = models.ForeignKey(
        Permit, verbose_name=_("证照"), on_delete=models.CASCADE, related_name="pauses"
    )
    started_at = models.DateTimeField(_("暂停时间"))
    ended_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=200)
    workdays = models.PositiveIntegerField(_("暂停工作日"), null=True, blank=True)

    class Meta:
        verbose_name = _("暂停计时")
        verbose_name_plural = _("暂停计时")
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["permit"], condition=Q(ended_at__isnull=True), name="pause_one_open_per_permit"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, workdays__isnull=True)
                | Q(ended_at__gte=F("started_at"), workdays__isnull=False),
                name="pause_ended_with_workdays",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.permit} · {self.reason}"


class CommitmentQuerySet(models.QuerySet):
    def overdue(self, now):
        """Commitments not fulfilled whose due date is before the local date of ``now``."""
        return self.filter(fulfilled_on__isnull=True, due_on__lt=timezone.localdate(now))


class PermitCommitment(models.Model):
    """A written commitment under 告知承诺制: a document the applicant supplies by a date."""

    permit = models.ForeignKey(
        Permit, verbose_name=_("证照"), on_delete=models.CASCADE, related_name="commitments"
    )
    content = models.CharField(_("承诺事项"), max_length=200)
    due_on = models.DateField(_("承诺期限"))
    fulfilled_on = models.DateField(_("履行日期"), null=True, blank=True)
    overdue_flagged_at = models.DateTimeField(_("超时提醒时间"), null=True, blank=True)

    objects = CommitmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("告知承诺事项")
        verbose_name_plural = _("告知承诺事项")
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.content

    def is_overdue_at(self, now) -> bool:
        """The Python twin of ``PermitCommitment.objects.overdue(now)``."""
        return self.fulfilled_on is None and self.due_on < timezone.localdate(now)


class AcceptanceMode(models.TextChoices):
    ONLINE = "online", _("线上")
    OFFLINE = "offline", _("线下")


class AcceptanceResult(models.TextChoices):
    PASSED = "passed", _("通过")
    FAILED = "failed", _("未通过，限期整改")


class Acceptance(models.Model):
    """联合验收: the departments accept the completed project together, online or on site."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="acceptances"
    )
    mode = models.CharField(_("方式"), max_length=8, choices=AcceptanceMode.choices)
    departments = models.ManyToManyField(
        "accounts.Department", verbose_name=_("参加部门"), related_name="+", blank=True
    )
    held_on = models.DateField(_("验收日期"))
    result = models.CharField(_("结果"), max_length=8, choices=AcceptanceResult.choices)
    issues_found = models.TextField(_("发现问题"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("联合验收")
        verbose_name_plural = _("联合验收")
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(result=AcceptanceResult.PASSED) | ~Q(issues_found=""),
                name="acceptance_failed_names_issues",
            ),
        ]
        indexes = [models.Index(fields=["held_on"], name="acceptance_held_on_idx")]

    def __str__(self) -> str:
        return f"{self.project.name} {self.get_mode_display()}联合验收 {self.held_on}"


class Blocker(models.Model):
    """An open problem holding a project back (堵点), followed in the weekly dispatch until resolved."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="blockers"
    )
    description = models.TextField(_("问题"))
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("责任部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    raised_on = models.DateField(_("提出日期"))
    resolved_on = models.DateField(_("解决日期"), null=True, blank=True)
    resolution = models.TextField(_("解决情况"), blank=True)

    class Meta:
        verbose_name = _("项目堵点")
        verbose_name_plural = _("项目堵点")
        ordering = ["raised_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True)
                | (Q(resolved_on__gte=F("raised_on")) & ~Q(resolution="")),
                name="blocker_resolved_with_resolution",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:40]


class Dispatch(models.Model):
    """每周调度: a coordinator's list of key projects for the week's progress meeting."""

    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("分包人"),
        on_delete=models.PROTECT,
        related_name="dispatches",
    )
    week_start = models.DateField(_("调度周（周一）"))
    generated_at = models.DateTimeField(_("生成时间"))
    note = models.TextField(_("调度纪要"), blank=True)

    class Meta:
        verbose_name = _("每周调度")
        verbose_name_plural = _("每周调度")
        ordering = ["-week_start", "coordinator_id"]
        constraints = [
            models.UniqueConstraint(fields=["coordinator", "week_start"], name="dispatch_once_per_week"),
        ]

    def __str__(self) -> str:
        return _("%(week)s 周 %(who)s 调度清单") % {"week": self.week_start, "who": self.coordinator}


class DispatchItem(models.Model):
    """One key project in a dispatch: its stage, last week's progress, what is overdue, open blockers."""

    dispatch = models.ForeignKey(
        Dispatch, verbose_name=_("调度"), on_delete=models.CASCADE, related_name="items"
    )
    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices)
    moved = models.TextField(_("上周进展"), blank=True)
    overdue = models.TextField(_("超时事项"), blank=True)
    blockers = models.TextField(_("待解决堵点"), blank=True)
    note = models.TextField(_("调度意见"), blank=True)
    resolution = models.TextField(_("落实情况"), blank=True)

    class Meta:
        verbose_name = _("调度事项")
        verbose_name_plural = _("调度事项")
        ordering = ["dispatch_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dispatch", "project"], name="dispatch_item_once_per_project"),
        ]

    def __str__(self) -> str:
        return str(self.project)
