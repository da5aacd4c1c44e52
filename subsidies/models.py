from decimal import Decimal

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.fields import EncryptedTextField

# Exactly one of an award's (or an undetermined pair's) enterprise and purchase is set.
ONE_BENEFICIARY = Q(enterprise__isnull=False, purchase__isnull=True) | Q(
    enterprise__isnull=True, purchase__isnull=False
)


class SchemeMode(models.TextChoices):
    AUTOMATIC = "automatic", _("免申即享")
    APPLICATION = "application", _("依申请")


class Beneficiary(models.TextChoices):
    """Whom a scheme pays: enterprises, or households (one house purchase each, 购房户)."""

    ENTERPRISES = "enterprises", _("企业")
    HOUSEHOLDS = "households", _("购房家庭")


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("执行中")
    CLOSED = "closed", _("已结束")


class Allocation(models.TextChoices):
    PRO_RATA = "pro_rata", _("超预算按比例核减")
    FIRST_CONFIRMED = "first_confirmed", _("按确认先后拨付")


class Scheme(models.Model):
    """One way a policy pays out: who is eligible, how much, from which budget (兑现方案)."""

    policy = models.ForeignKey(
        "policies.Policy", verbose_name=_("所属政策"), on_delete=models.PROTECT, related_name="schemes"
    )
    code = models.SlugField(_("方案代码"), max_length=64, unique=True)
    title = models.CharField(_("方案名称"), max_length=200)
    mode = models.CharField(
        _("兑现方式"), max_length=16, choices=SchemeMode.choices, default=SchemeMode.AUTOMATIC
    )
    # Which variables catalogue its rules read, and what its awards belong to (Award.enterprise / .purchase).
    beneficiary = models.CharField(
        _("兑现对象"), max_length=16, choices=Beneficiary.choices, default=Beneficiary.ENTERPRISES
    )
    facts_year = models.PositiveSmallIntegerField(_("数据年度"))
    reference_date = models.DateField(
        _("基准日"), help_text=_("企业年龄、资质有效性按此日计算；默认为数据年度的 12 月 31 日")
    )
    period = models.CharField(_("兑现批次"), max_length=16, help_text=_("如 2023"))
    eligibility = models.JSONField(_("资格规则（JsonLogic）"))
    amount_rule = models.JSONField(_("金额规则（JsonLogic 或数字，单位元）"))
    cap_per_enterprise = models.DecimalField(
        _("单户上限（元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    budget = models.DecimalField(_("预算（元）"), max_digits=16, decimal_places=2)
    # Money committed to confirmed awards; changed only with this row locked (select_for_update).
    committed = models.DecimalField(
        _("已承诺金额（元）"), max_digits=16, decimal_places=2, default=Decimal("0")
    )
    allocation = models.CharField(
        _("预算分配方式"), max_length=16, choices=Allocation.choices, default=Allocation.PRO_RATA
    )
    exclusive_group = models.CharField(
        _("从高不重复组"), max_length=64, blank=True, help_text=_("同组方案同一批次只兑现金额最高的一项")
    )
    top_up = models.BooleanField(
        _("级差兑现"), default=False, help_text=_("只兑现高出本组以往已获金额的差额")
    )
    publicity_days = models.PositiveSmallIntegerField(_("公示期（工作日）"), default=5)
    status = models.CharField(
        _("状态"), max_length=16, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("兑现方案")
        verbose_name_plural = _("兑现方案")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gte=0), name="scheme_budget_not_negative"),
            models.CheckConstraint(
                condition=Q(committed__lte=models.F("budget")), name="scheme_committed_within_budget"
            ),
            models.CheckConstraint(
                condition=Q(cap_per_enterprise__isnull=True) | Q(cap_per_enterprise__gte=0),
                name="scheme_cap_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class RunStatus(models.TextChoices):
    RUNNING = "running", _("运行中")
    FINISHED = "finished", _("已完成")
    # Finished, but a scheme's rule failed on some enterprise: recorded in MatchFailure, the rest matched.
    COMPLETED_WITH_ERRORS = "completed_with_errors", _("已完成（部分方案出错）")
    FAILED = "failed", _("失败")


class MatchRun(models.Model):
    """One matching of enterprises against the active automatic schemes (比对批次)."""

    trigger = models.CharField(_("触发方式"), max_length=16, default="manual")  # nightly / manual / facts
    status = models.CharField(_("状态"), max_length=24, choices=RunStatus.choices, default=RunStatus.RUNNING)
    scheme_codes = models.JSONField(_("限定方案"), default=list, blank=True)
    enterprise_ids = models.JSONField(_("限定企业"), default=list, blank=True)
    dry_run = models.BooleanField(_("试运行"), default=False)
    # Chunks run as Celery tasks (nightly) rather than in the starting process (the command).
    queued = models.BooleanField(_("后台任务执行"), default=False)
    chunk_count = models.PositiveIntegerField(_("分片数"), default=0)
    # {scheme code: {"eligible", "undetermined", "new", "lost", "amount"}}, written when the run finishes.
    totals = models.JSONField(_("统计"), default=dict, blank=True)
    # The schemes and rules the run matched with, as they were when it started: what its chunks compile,
    # and what an award's explanation is replayed from. {"schemes": [{id, code, rules…}], "selected": [ids]}
    rules = models.JSONField(_("比对所用规则"), default=dict, blank=True)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    released_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("比对批次")
        verbose_name_plural = _("比对批次")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.started_at:%Y-%m-%d %H:%M}"


class MatchChunk(models.Model):
    """One id range of a run; recorded done so a redelivered or resumed chunk is not counted twice."""

    run = models.ForeignKey(
        MatchRun, verbose_name=_("比对批次"), on_delete=models.CASCADE, related_name="chunks"
    )
    index = models.PositiveIntegerField(_("序号"))
    # The id range is of enterprises or of house purchases: a run has chunks of each kind it matches.
    beneficiary = models.CharField(
        _("兑现对象"), max_length=16, choices=Beneficiary.choices, default=Beneficiary.ENTERPRISES
    )
    id_from = models.BigIntegerField(_("起始 id（含）"))
    id_to = models.BigIntegerField(_("截止 id（含）"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    inserted = models.PositiveIntegerField(_("新增"), default=0)
    # {scheme code: {"eligible", "undetermined", "new", "lost", "amount"}} for this chunk's enterprises.
    stats = models.JSONField(_("统计"), default=dict, blank=True)
    # Hash of the rules, the enterprises' facts and their awards after this chunk: a later run whose
    # chunk hashes the same would find the same, so it takes this chunk's results instead of matching.
    fingerprint = models.CharField(_("数据指纹"), max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = _("比对分片")
        verbose_name_plural = _("比对分片")
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="match_chunk_once_per_run")]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.index} [{self.id_from}, {self.id_to}]"


class Undetermined(models.Model):
    """An enterprise a run could not decide for a scheme because a fact is missing (待补充数据)."""

    # Indexed by the unique (run, scheme, enterprise), which leads with the run.
    run = models.ForeignKey(
        MatchRun,
        verbose_name=_("比对批次"),
        on_delete=models.CASCADE,
        related_name="undetermined",
        db_index=False,
    )
    scheme = models.ForeignKey(Scheme, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="+")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    purchase = models.ForeignKey(
        "residents.HousePurchase",
        verbose_name=_("购房记录"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    missing = models.JSONField(_("缺失数据"), default=list, blank=True)

    class Meta:
        verbose_name = _("待补充数据对象")
        verbose_name_plural = _("待补充数据对象")
        constraints = [
            models.UniqueConstraint(fields=["run", "scheme", "enterprise"], name="undetermined_once_per_run"),
            models.UniqueConstraint(
                fields=["run", "scheme", "purchase"], name="undetermined_purchase_once_per_run"
            ),
            models.CheckConstraint(condition=ONE_BENEFICIARY, name="undetermined_one_beneficiary"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme_id} {self.enterprise_id or self.purchase_id}"


class MatchFailure(models.Model):
    """A scheme whose rule could not be computed for an enterprise in a run (规则计算错误).

    The chunk sets the scheme aside and matches the others; the run ends ``completed_with_errors``.
    """

    run = models.ForeignKey(
        MatchRun, verbose_name=_("比对批次"), on_delete=models.CASCADE, related_name="failures"
    )
    scheme = models.ForeignKey(Scheme, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="+")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    purchase = models.ForeignKey(
        "residents.HousePurchase",
        verbose_name=_("购房记录"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # The chunk (id range) the scheme was set aside in: its other enterprises (or purchases) were not
    # matched for it.
    id_from = models.BigIntegerField(_("起始 id（含）"))
    id_to = models.BigIntegerField(_("截止 id（含）"))
    message = models.TextField(_("错误信息"))
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("规则计算错误")
        verbose_name_plural = _("规则计算错误")
        ordering = ["-run_id", "scheme_id", "id_from"]
        constraints = [
            models.UniqueConstraint(fields=["run", "scheme", "id_from"], name="match_failure_once_per_chunk"),
            models.CheckConstraint(
                condition=Q(enterprise__isnull=True) | Q(purchase__isnull=True),
                name="match_failure_at_most_one_beneficiary",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.scheme_id} {self.enterprise_id or self.purchase_id or ''}"


class LostCandidate(models.Model):
    """An unpaid award whose enterprise a run found no longer eligible: the "lost" side of a run's diff."""

    run = models.ForeignKey(
        MatchRun, verbose_name=_("比对批次"), on_delete=models.CASCADE, related_name="lost"
    )
    award = models.ForeignKey("Award", verbose_name=_("兑现记录"), on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("不再符合条件的兑现记录")
        verbose_name_plural = _("不再符合条件的兑现记录")
        ordering = ["run", "award"]
        constraints = [models.UniqueConstraint(fields=["run", "award"], name="lost_candidate_once_per_run")]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.award_id}"


class AwardStatus(models.TextChoices):
    CANDIDATE = "candidate", _("待审核")
    APPROVED = "approved", _("已审核")
    PUBLICIZED = "publicized", _("公示中")
    # The publicity period ended without a decision against it: the enterprise may confirm now.
    AWAITING = "awaiting", _("公示期满待确认")
    CONFIRMED = "confirmed", _("企业已确认")
    PAID = "paid", _("已拨付")
    REJECTED = "rejected", _("审核未通过")
    DECLINED = "declined", _("企业放弃")
    REVOKED = "revoked", _("已撤销")


class PaymentBatch(models.Model):
    """Confirmed awards sent to the bank together (拨付批次)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("待导出")
        EXPORTED = "exported", _("已导出")
        PAID = "paid", _("已拨付")

    title = models.CharField(_("批次名称"), max_length=120)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    exported_at = models.DateTimeField(_("导出时间"), null=True, blank=True)
    paid_at = models.DateTimeField(_("拨付时间"), null=True, blank=True)
    paid_reference = models.CharField(_("银行回单号"), max_length=64, blank=True)
    total = models.DecimalField(_("合计（元）"), max_digits=16, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("拨付批次")
        verbose_name_plural = _("拨付批次")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title


class PaymentBatchExport(models.Model):
    """Who took a batch's file for the bank, when, in which format (bank accounts leave the portal)."""

    batch = models.ForeignKey(
        PaymentBatch, verbose_name=_("拨付批次"), on_delete=models.CASCADE, related_name="exports"
    )
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导出人"), on_delete=models.PROTECT, related_name="+"
    )
    exported_at = models.DateTimeField(_("导出时间"), auto_now_add=True)
    fmt = models.CharField(_("格式"), max_length=8)

    class Meta:
        verbose_name = _("拨付清单导出记录")
        verbose_name_plural = _("拨付清单导出记录")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.batch} · {self.exported_by} · {self.fmt}"


class Award(models.Model):
    """What one enterprise or one household is due under one scheme for one period (兑现记录).

    A household is a house purchase (its buyers): ``purchase`` is set for a household scheme's awards,
    ``enterprise`` for the others, never both.
    """

    # No single-column indexes on scheme and enterprise: the unique (scheme, purchase, period) and the
    # (enterprise, status) indexes lead with them. A nightly run inserts ~200,000 awards at 1,000,000
    # enterprises (~2,500,000 at 1,000,000 house purchases), and every index is written for each: an
    # index on a column most awards leave empty (the other kind's beneficiary, the confirming user, the
    # payment batch) is partial, so an award without it writes nothing there.
    scheme = models.ForeignKey(
        Scheme, verbose_name=_("方案"), on_delete=models.PROTECT, related_name="awards", db_index=False
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="awards",
        db_index=False,
    )
    purchase = models.ForeignKey(
        "residents.HousePurchase",
        verbose_name=_("购房记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subsidy_awards",
        db_index=False,
    )
    period = models.CharField(_("兑现批次"), max_length=16)
    status = models.CharField(
        _("状态"), max_length=16, choices=AwardStatus.choices, default=AwardStatus.CANDIDATE
    )
    # What the rule gives (capped, top-up applied), and what is paid after budget allocation.
    computed_amount = models.DecimalField(_("核定金额（元）"), max_digits=14, decimal_places=2)
    amount = models.DecimalField(_("兑现金额（元）"), max_digits=14, decimal_places=2)
    waitlisted = models.BooleanField(_("预算不足候补"), default=False)
    explanation = models.JSONField(_("判定说明"), default=dict, blank=True)
    facts = models.JSONField(_("判定所用数据"), default=dict, blank=True)
    run = models.ForeignKey(
        MatchRun,
        verbose_name=_("发现批次"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="awards",
    )
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    publicity_from = models.DateField(_("公示开始"), null=True, blank=True)
    publicity_to = models.DateField(_("公示结束"), null=True, blank=True)
    notified_at = models.DateTimeField(_("通知时间"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    bank_name = models.CharField(_("开户银行"), max_length=100, blank=True)
    bank_account_name = models.CharField(_("账户名称"), max_length=200, blank=True)
    bank_account = EncryptedTextField(_("银行账号"), blank=True)
    payment_batch = models.ForeignKey(
        PaymentBatch,
        verbose_name=_("拨付批次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="awards",
        db_index=False,
    )
    paid_at = models.DateTimeField(_("拨付时间"), null=True, blank=True)
    reason = models.TextField(_("原因"), blank=True, help_text=_("审核未通过、放弃或撤销的原因"))

    class Meta:
        verbose_name = _("兑现记录")
        verbose_name_plural = _("兑现记录")
        ordering = ["-id"]
        constraints = [
            # Partial: a household's award (no enterprise) can never conflict in it. The purchase one is
            # whole, as the index of every lookup by scheme.
            models.UniqueConstraint(
                fields=["scheme", "enterprise", "period"],
                condition=Q(enterprise__isnull=False),
                name="award_once_per_scheme_period",
            ),
            models.UniqueConstraint(
                fields=["scheme", "purchase", "period"], name="award_purchase_once_per_scheme_period"
            ),
            models.CheckConstraint(condition=ONE_BENEFICIARY, name="award_one_beneficiary"),
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(computed_amount__gte=0), name="award_amount_not_negative"
            ),
        ]
        indexes = [
            models.Index(
                fields=["enterprise", "status"],
                condition=Q(enterprise__isnull=False),
                name="award_enterprise_status_idx",
            ),
            # Partial: enterprise awards do not write it.
            models.Index(
                fields=["purchase", "status"],
                condition=Q(purchase__isnull=False),
                name="award_purchase_status_idx",
            ),
            # A plain index (a CharField's db_index would add a LIKE index no query uses).
            models.Index(fields=["status"], name="award_status_idx"),
            # The publicity lists (公示) read only the awards in publicity: a small part of millions.
            models.Index(
                fields=["publicity_to", "scheme"],
                condition=Q(status=AwardStatus.PUBLICIZED),
                name="award_in_publicity_idx",
            ),
            # Confirming an award of a first-confirmed scheme asks whether anyone is already waitlisted:
            # without this, a scan of the scheme's awards (10,000 households: 6 ms a confirmation).
            models.Index(
                fields=["scheme"],
                condition=Q(status=AwardStatus.CONFIRMED, waitlisted=True),
                name="award_waitlisted_idx",
            ),
            # The foreign keys' own indexes, for deleting a user or a batch: only confirmed or paid
            # awards have them.
            models.Index(
                fields=["confirmed_by"],
                condition=Q(confirmed_by__isnull=False),
                name="award_confirmed_by_idx",
            ),
            models.Index(
                fields=["payment_batch"],
                condition=Q(payment_batch__isnull=False),
                name="award_payment_batch_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme.code} {self.enterprise_id or self.purchase_id} {self.period}"

    @property
    def is_household(self) -> bool:
        return self.purchase_id is not None

    @property
    def beneficiary_label(self) -> str:
        """Whom the award pays, as staff lists and messages name it: the enterprise, or the household's
        主购房人 masked (张*明（4101**********1234）); lists prefetch ``purchase__buyer_links__person``."""
        if self.purchase_id is None:
            return self.enterprise.name
        main = self.main_buyer
        if main is None:
            return self.purchase.contract_no
        return f"{main.masked_name}（{main.masked_id_number}）"

    @property
    def main_buyer(self):
        """A household award's 主购房人 (the buyer in position 1), or None for an enterprise's."""
        if self.purchase_id is None:
            return None
        links = sorted(self.purchase.buyer_links.all(), key=lambda link: link.position)
        return links[0].person if links else None

    @property
    def shown_status_label(self) -> str:
        """The label of the status shown today (``shown_status``, annotated by the award selectors)."""
        return AwardStatus(self.shown_status).label


class AwardEvent(models.Model):
    """One transition of an award: who, when, from what to what, and why."""

    award = models.ForeignKey(
        Award, verbose_name=_("兑现记录"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(_("原状态"), max_length=16, choices=AwardStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=AwardStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("兑现记录变更")
        verbose_name_plural = _("兑现记录变更")
        ordering = ["award", "at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


# Schemes (their rules and budgets) and payment batches are kept in the audit log; awards have AwardEvent.
# ``committed`` is the running total of confirmed awards, moved by every confirmation, decline and
# revocation: each of those is an AwardEvent already, and a log entry per confirmation would bury the
# staff edits of rules and budgets the scheme log is for.
auditlog.register(Scheme, exclude_fields=["updated_at", "committed"])
auditlog.register(PaymentBatch)
