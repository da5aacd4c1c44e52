from auditlog.registry import auditlog
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as StdnumError


def validate_uscc(value: str) -> None:
    """统一社会信用代码 per GB 32100-2015: 18 characters with a check character (python-stdnum)."""
    if value != value.strip() or value != value.upper():
        raise ValidationError(
            _("统一社会信用代码须为 18 位大写字母或数字：%(v)s") % {"v": value}, code="uscc"
        )
    try:
        stdnum_uscc.validate(value)
    except StdnumError as exc:
        reason = {
            "InvalidLength": _("长度应为 18 位"),
            "InvalidChecksum": _("校验码错误"),
            "InvalidFormat": _("格式错误"),
            "InvalidComponent": _("登记管理部门或机构类别代码无效"),
        }.get(type(exc).__name__, _("格式错误"))
        raise ValidationError(
            _("统一社会信用代码无效（%(reason)s）：%(v)s") % {"reason": reason, "v": value}, code="uscc"
        ) from exc


def make_uscc(serial: int, prefix: str = "91410100") -> str:
    """A valid USCC for a serial number: an enterprise (91) of Zhengzhou (410100), with its check character.

    For generated registries (the demo, benchmarks, tests); real codes come from the imports.
    """
    body = f"{prefix}{serial:09d}"
    if len(body) != 17:
        raise ValueError("serial too large for a USCC body")
    return body + stdnum_uscc.calc_check_digit(body)


class Park(models.TextChoices):
    WUTONG = "wutong", _("梧桐")
    FENGYANG = "fengyang", _("枫杨")
    SHIFO = "shifo", _("石佛")
    SHUANGQIAO = "shuangqiao", _("双桥")
    GOUZHAO = "gouzhao", _("沟赵")
    OTHER = "other", _("其他")


# The sections (门类) of GB/T 4754-2017: an industry code's first letter.
INDUSTRY_SECTIONS = [
    ("A", _("农、林、牧、渔业")),
    ("B", _("采矿业")),
    ("C", _("制造业")),
    ("D", _("电力、热力、燃气及水生产和供应业")),
    ("E", _("建筑业")),
    ("F", _("批发和零售业")),
    ("G", _("交通运输、仓储和邮政业")),
    ("H", _("住宿和餐饮业")),
    ("I", _("信息传输、软件和信息技术服务业")),
    ("J", _("金融业")),
    ("K", _("房地产业")),
    ("L", _("租赁和商务服务业")),
    ("M", _("科学研究和技术服务业")),
    ("N", _("水利、环境和公共设施管理业")),
    ("O", _("居民服务、修理和其他服务业")),
    ("P", _("教育")),
    ("Q", _("卫生和社会工作")),
    ("R", _("文化、体育和娱乐业")),
    ("S", _("公共管理、社会保障和社会组织")),
    ("T", _("国际组织")),
]


class CreditRating(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    M = "M", "M"
    C = "C", "C"
    D = "D", "D"


class Source(models.TextChoices):
    """Where a fact came from."""

    TAX = "tax", _("税务")
    MARKET = "market", _("市场监管")
    STATISTICS = "statistics", _("统计")
    DEPARTMENT = "department", _("部门名单")
    SELF = "self", _("企业自报")
    ADMIN = "admin", _("管理员录入")


class QualificationCode(models.TextChoices):
    HIGH_TECH = "high_tech", _("高新技术企业")
    SRDI = "srdi", _("省级专精特新")
    LITTLE_GIANT = "little_giant", _("国家级专精特新“小巨人”")
    TECH_SME = "tech_sme", _("科技型中小企业")
    GAZELLE = "gazelle", _("瞪羚企业")
    UNICORN = "unicorn", _("独角兽企业")


# The facts of an enterprise whose source and as-of date are recorded (in Enterprise.fact_sources).
ENTERPRISE_FACTS = (
    "name",
    "park",
    "industry_code",
    "registered_on",
    "registered_capital",
    "is_above_scale",
    "credit_rating",
    "blacklisted",
)


class EnterpriseQuerySet(models.QuerySet):
    def search(self, text: str):
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(Q(uscc=text.upper()) | Q(name__icontains=text))


class Enterprise(models.Model):
    """一企一档: what the zone knows of one enterprise."""

    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc])
    name = models.CharField(_("企业名称"), max_length=200, db_index=True)
    park = models.CharField(_("所属园区"), max_length=16, choices=Park.choices, default=Park.OTHER)
    industry_code = models.CharField(
        _("行业代码"), max_length=5, blank=True, help_text=_("GB/T 4754-2017，如 I6510")
    )
    industry_section = models.GeneratedField(
        expression=Substr("industry_code", 1, 1),
        output_field=models.CharField(max_length=1),
        db_persist=True,
        verbose_name=_("行业门类"),
    )
    industry_division = models.GeneratedField(
        expression=Substr("industry_code", 2, 2),
        output_field=models.CharField(max_length=2),
        db_persist=True,
        verbose_name=_("行业大类"),
    )
    registered_on = models.DateField(_("成立日期"), null=True, blank=True)
    registered_capital = models.DecimalField(
        _("注册资本（万元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    is_above_scale = models.BooleanField(_("规上企业"), null=True, blank=True)
    credit_rating = models.CharField(
        _("纳税信用等级"), max_length=1, choices=CreditRating.choices, blank=True
    )
    blacklisted = models.BooleanField(_("失信"), default=False)
    blacklisted_on = models.DateField(_("列入失信日期"), null=True, blank=True)
    # {"registered_capital": {"source": "market", "as_of": "2023-12-31"}, …}: each fact in ENTERPRISE_FACTS.
    fact_sources = models.JSONField(_("数据来源"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(registered_capital__isnull=True) | Q(registered_capital__gte=0),
                name="enterprise_capital_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AnnualReport(models.Model):
    """One year's figures of an enterprise (年报): money in 万元."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="annual_reports"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    revenue = models.DecimalField(
        _("营业收入（万元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    rd_expense = models.DecimalField(
        _("研发费用（万元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    employees = models.PositiveIntegerField(_("从业人数"), null=True, blank=True)
    tax_paid = models.DecimalField(
        _("纳税总额（万元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    source = models.CharField(_("数据来源"), max_length=16, choices=Source.choices, default=Source.TAX)
    as_of = models.DateField(_("数据日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("年度数据")
        verbose_name_plural = _("年度数据")
        ordering = ["enterprise_id", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="annual_report_once_per_year"),
            models.CheckConstraint(
                condition=(Q(revenue__isnull=True) | Q(revenue__gte=0))
                & (Q(rd_expense__isnull=True) | Q(rd_expense__gte=0))
                & (Q(tax_paid__isnull=True) | Q(tax_paid__gte=0)),
                name="annual_report_money_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.year}"


class Qualification(models.Model):
    """A recognition an enterprise holds (高新技术企业, 专精特新 …)."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="qualifications"
    )
    code = models.CharField(_("资质"), max_length=16, choices=QualificationCode.choices)
    year_awarded = models.PositiveSmallIntegerField(_("认定年度"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    source = models.CharField(_("数据来源"), max_length=16, choices=Source.choices, default=Source.DEPARTMENT)
    as_of = models.DateField(_("数据日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("资质")
        verbose_name_plural = _("资质")
        ordering = ["enterprise_id", "code", "-year_awarded"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "code", "year_awarded"], name="qualification_once_per_award_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_code_display()} {self.year_awarded}"


# How many years a recognition lasts from its award year when the source gives no end date.
QUALIFICATION_VALID_YEARS = {
    QualificationCode.HIGH_TECH: 3,
    QualificationCode.SRDI: 3,
    QualificationCode.LITTLE_GIANT: 3,
    QualificationCode.TECH_SME: 1,
    QualificationCode.GAZELLE: 1,
    QualificationCode.UNICORN: 1,
}

# Changes staff make one by one (admin edits) are kept in the audit log; imports record their source instead.
auditlog.register(Enterprise)
auditlog.register(AnnualReport)
auditlog.register(Qualification)
