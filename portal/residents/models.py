import datetime as dt
import re
import uuid
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat
from stdnum.exceptions import ValidationError as NumberError

from portal.fields import EncryptedTextField, lookup_hash
from portal.residents.masking import mask_id_number, mask_mobile, mask_name

MOBILE = re.compile(r"^1[3-9]\d{9}$")


def make_id_number(area: str, birth: dt.date, serial: int) -> str:
    """A well-formed 居民身份证号: area, birth date, serial, check character (for demo and tests)."""
    body = f"{area}{birth:%Y%m%d}{serial % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check character


@cache
def _known_area(area: str) -> bool:
    # numdb scans its table on every lookup; a file of a million rows names a few hundred areas.
    return any("county" in props for _part, props in numdb.get("cn/loc").info(area))


def normalize_id_number(value: str) -> str:
    """A 居民身份证号 in its stored form (18 characters, upper-case X), or ValidationError in Chinese.

    Checked with stdnum's cn.ric piece by piece: format, check character, birth date, and an area code it
    knows. Not ``ric.validate`` whole: it also refuses an area code created after the birth year, but
    numbers were issued from 1984 on the place of registration then, so a Zhengzhou resident born in 1979
    rightly holds 410105.
    """
    number = re.sub(r"\s", "", str(value or "")).upper()
    if not number:
        raise ValidationError(_("身份证号为空"))
    try:
        if len(number) != 18 or not number[:17].isdigit():
            raise InvalidFormat
        if number[-1] != ric.calc_check_digit(number):
            raise InvalidChecksum
        ric.get_birth_date(number)
        if not _known_area(number[:6]):
            raise InvalidComponent
    except NumberError:
        raise ValidationError(
            _("身份证号无效：%(masked)s（请核对位数、出生日期和校验位）"),
            params={"masked": mask_id_number(number)},
        ) from None
    return number


def birth_date_of(id_number: str) -> dt.date | None:
    """The birth date a 居民身份证号 holds (its 7th to 14th characters), or None if it holds none."""
    try:
        return ric.get_birth_date(id_number)
    except ValueError:  # stdnum's errors are ValueErrors, as is a number too short to hold a date
        return None


def normalize_mobile(value: str) -> str:
    """A mainland mobile number as 11 digits (a +86 / 86 prefix and spaces or dashes dropped)."""
    number = re.sub(r"[\s-]", "", str(value or ""))
    number = re.sub(r"^(\+?86)(?=1\d{10}$)", "", number)
    if not MOBILE.match(number):
        raise ValidationError(
            _("手机号无效：%(masked)s（应为 11 位手机号）"), params={"masked": mask_mobile(number)}
        )
    return number


class PersonQuerySet(models.QuerySet):
    def with_id_number(self, id_number: str):
        return self.filter(id_number_hash=lookup_hash(normalize_id_number(id_number)))

    def with_mobile(self, mobile: str):
        return self.filter(mobile_hash=lookup_hash(normalize_mobile(mobile)))


class Person(models.Model):
    """A resident (自然人) in a deed-tax record; ID and mobile numbers encrypted, found by keyed hashes."""

    name = models.CharField(_("姓名"), max_length=50)
    id_number = EncryptedTextField(_("居民身份证号"))
    id_number_hash = models.CharField(_("身份证号检索码"), max_length=64, unique=True, editable=False)
    # Read from the ID number whenever it is set, so rules can ask a buyer's age (the number is encrypted).
    birth_date = models.DateField(_("出生日期"), null=True, blank=True, editable=False)
    mobile = EncryptedTextField(_("手机号"), blank=True)
    mobile_hash = models.CharField(
        _("手机号检索码"), max_length=64, blank=True, db_index=True, editable=False
    )
    # The portal login of the resident: set at their first login (provincial identity or SMS code).
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("门户账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resident_person",
    )
    # When the resident accepted the privacy notice; nothing is confirmed on their behalf before it.
    privacy_accepted_at = models.DateTimeField(_("同意个人信息告知书时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now, editable=False)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        ordering = ["id"]

    def __str__(self) -> str:
        # Masked: this is what admin, logs and error messages print.
        return f"{mask_name(self.name)}（{mask_id_number(self.id_number)}）"

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile)

    def set_id_number(self, id_number: str) -> None:
        self.id_number = normalize_id_number(id_number)
        self.id_number_hash = lookup_hash(self.id_number)
        self.birth_date = birth_date_of(self.id_number)

    def set_mobile(self, mobile: str) -> None:
        self.mobile = normalize_mobile(mobile) if mobile else ""
        self.mobile_hash = lookup_hash(self.mobile) if self.mobile else ""


class HousePurchase(models.Model):
    """A house purchase from the deed-tax file (网签备案): one household, its buyers, its deed tax."""

    contract_no = models.CharField(_("网签合同号"), max_length=40, unique=True)
    address = models.CharField(_("房屋坐落"), max_length=200)
    floor_area = models.DecimalField(_("建筑面积（平方米）"), max_digits=8, decimal_places=2)
    price = models.DecimalField(_("成交价格（元）"), max_digits=14, decimal_places=2)
    is_new_build = models.BooleanField(_("新建商品房"), default=True)
    contract_date = models.DateField(_("合同签订日期"))
    deed_tax = models.DecimalField(
        _("契税税额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    deed_tax_paid_on = models.DateField(_("契税完税日期"), null=True, blank=True)
    # Set by the household subsidy's payment; the retention clock of the buyers' data starts here.
    paid_at = models.DateTimeField(_("补贴发放时间"), null=True, blank=True)
    # A purchase a subsidy award names outlives the retention period as the payment's record, without
    # its address and buyers (resident_data_purge); this says when they were cleared.
    personal_data_cleared_at = models.DateTimeField(_("个人信息清除时间"), null=True, blank=True)
    buyers = models.ManyToManyField(
        Person, through="PurchaseBuyer", related_name="purchases", verbose_name=_("购房人")
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("购房记录")
        verbose_name_plural = _("购房记录")
        ordering = ["contract_date", "id"]
        indexes = [models.Index(fields=["paid_at"], name="residents_purchase_paid_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(floor_area__gt=0), name="residents_purchase_area_positive"),
            models.CheckConstraint(condition=Q(price__gte=0), name="residents_purchase_price_not_negative"),
            models.CheckConstraint(
                condition=Q(deed_tax__isnull=True) | Q(deed_tax__gte=0),
                name="residents_purchase_deed_tax_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(deed_tax_paid_on__isnull=True) | Q(deed_tax__isnull=False),
                name="residents_purchase_paid_tax_has_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.contract_no


class PurchaseBuyer(models.Model):
    """One buyer of a purchase; the buyers are its household. Position 1 is the 主购房人."""

    purchase = models.ForeignKey(HousePurchase, on_delete=models.CASCADE, related_name="buyer_links")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="purchase_links")
    position = models.PositiveSmallIntegerField(_("顺位"), default=1)

    class Meta:
        verbose_name = _("购房人")
        verbose_name_plural = _("购房人")
        ordering = ["purchase", "position"]
        constraints = [
            models.UniqueConstraint(fields=["purchase", "person"], name="residents_buyer_once_per_purchase"),
            models.UniqueConstraint(fields=["purchase", "position"], name="residents_buyer_position_unique"),
            models.CheckConstraint(condition=Q(position__gte=1), name="residents_buyer_position_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.purchase} · {self.person}"


class AccessAction(models.TextChoices):
    VIEW = "view", _("查看")
    EXPORT = "export", _("导出")
    SUBJECT_EXPORT = "subject_export", _("本人下载")


class PersonAccess(models.Model):
    """Who opened or exported a person's record, when, and for what purpose (PIPL access log)."""

    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="accesses",
        verbose_name=_("居民"),
    )
    # Kept masked so the log outlives a purged record without holding personal data.
    person_label = models.CharField(_("居民（脱敏）"), max_length=80)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("操作人")
    )
    username = models.CharField(_("操作人账号"), max_length=150)
    action = models.CharField(_("操作"), max_length=20, choices=AccessAction.choices)
    purpose = models.CharField(_("用途"), max_length=200)
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("个人信息访问记录")
        verbose_name_plural = _("个人信息访问记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.username} {self.get_action_display()} {self.person_label}"


class SmsCode(models.Model):
    """A one-time code sent to a purchase record's mobile number; only its keyed hash is kept."""

    mobile_hash = models.CharField(_("手机号检索码"), max_length=64)
    code_hash = models.CharField(_("验证码摘要"), max_length=64)
    idempotency_key = models.UUIDField(_("幂等键"), default=uuid.uuid4, unique=True, editable=False)
    sent_at = models.DateTimeField(_("发送时间"))
    expires_at = models.DateTimeField(_("失效时间"))
    failed_attempts = models.PositiveSmallIntegerField(_("错误次数"), default=0)
    locked_at = models.DateTimeField(_("锁定时间"), null=True, blank=True)
    verified_at = models.DateTimeField(_("验证码通过时间"), null=True, blank=True)
    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("核验通过的居民"),
    )
    identified_at = models.DateTimeField(_("身份核验通过时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["mobile_hash", "sent_at"], name="residents_sms_mobile_sent_idx")]

    def __str__(self) -> str:
        return f"SMS {self.sent_at:%Y-%m-%d %H:%M:%S}"
