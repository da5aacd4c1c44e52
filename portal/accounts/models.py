from auditlog.registry import auditlog
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    """A bureau of the zone (创新发展局, 财政金融局 …) whose staff work in admin."""

    name = models.CharField(_("名称"), max_length=64, unique=True)
    code = models.SlugField(_("代码"), max_length=32, unique=True)
    is_coordinating = models.BooleanField(
        _("牵头协调部门"), default=False, help_text=_("牵头部门可看到所有部门的事项。")
    )
    head = models.ForeignKey(
        "accounts.User",
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    phone = models.CharField(_("电话"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class EnterpriseRole(models.TextChoices):
    OWNER = "owner", _("法定代表人")
    AGENT = "agent", _("经办人")


class User(AbstractUser):
    """A login: zone staff of a department, or a member of one enterprise with a role."""

    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = models.CharField(_("手机"), max_length=20, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("所属部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    # A string reference, not an import: enterprises sits above accounts in the house.
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("所属企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    enterprise_role = models.CharField(
        _("企业角色"), max_length=8, choices=EnterpriseRole.choices, blank=True
    )
    # Staff passwords expire (等保): the change page is forced once this is older than the limit.
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=Q(enterprise__isnull=True) | Q(department__isnull=True),
                name="user_staff_or_enterprise_not_both",
                violation_error_message=_("一个账号不能同时属于部门和企业：请只填写所属部门或所属企业之一。"),
            ),
            # A staff login is never an enterprise's member too: staff act on enterprises' records, and one
            # login holding both could approve, confirm and name the bank account of the same award.
            models.CheckConstraint(
                condition=Q(is_staff=False) | Q(enterprise__isnull=True),
                name="user_staff_not_enterprise_member",
                violation_error_message=_(
                    "工作人员账号不能属于企业：请清空所属企业，或为企业人员另建非工作人员账号。"
                ),
            ),
            models.CheckConstraint(
                condition=(Q(enterprise__isnull=True) & Q(enterprise_role=""))
                | (Q(enterprise__isnull=False) & Q(enterprise_role__in=EnterpriseRole.values)),
                name="user_enterprise_role_iff_enterprise",
                violation_error_message=_("所属企业和企业角色须同时填写或同时留空。"),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    @property
    def is_enterprise_user(self) -> bool:
        return self.enterprise_id is not None

    @property
    def is_enterprise_owner(self) -> bool:
        return self.enterprise_id is not None and self.enterprise_role == EnterpriseRole.OWNER


class Notification(models.Model):
    """One message in a user's in-portal inbox (站内消息)."""

    recipient = models.ForeignKey(
        User, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    # What the message is about, e.g. "policy-published:12"; one message per recipient and key.
    key = models.CharField(_("事由键"), max_length=120)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_recipient_key")
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.title


class SecurityEvent(models.Model):
    """One entry of the security trail (安全审计): logins, failures, lockouts, passwords, personal data.

    Append-only: on PostgreSQL a trigger refuses UPDATE and DELETE except inside ``purge_audit``.
    """

    class Kind(models.TextChoices):
        LOGIN = "login", _("登录成功")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOCKED_OUT = "locked_out", _("账户锁定")
        UNLOCKED = "unlocked", _("解除锁定")
        LOGOUT = "logout", _("退出登录")
        PASSWORD_CHANGED = "password_changed", _("密码修改或重置")
        PERSONAL_DATA_VIEWED = "pd_viewed", _("查看个人信息")
        PERSONAL_DATA_EXPORTED = "pd_exported", _("导出个人信息")

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    kind = models.CharField(_("事件"), max_length=16, choices=Kind.choices)
    # No foreign key: the trail outlives accounts and must never be rewritten by a cascade.
    actor_id = models.BigIntegerField(_("操作人编号"), null=True, blank=True)
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    path = models.CharField(_("路径"), max_length=255, blank=True)
    target = models.CharField(_("对象"), max_length=255, blank=True)
    success = models.BooleanField(_("成功"), default=True)
    detail = models.CharField(_("说明"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("安全审计记录")
        verbose_name_plural = _("安全审计记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["username", "at"], name="securityevent_user_at_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()} {self.username}"


class ImportRecord(models.Model):
    """One run of a file import (导入记录), whatever its outcome: the trail staff read when data looks wrong.

    Written in its own transaction after the import, so an import that is refused or rolled back still
    leaves its record.
    """

    class Kind(models.TextChoices):
        ENTERPRISES = "enterprises", _("企业档案")
        ANNUAL_REPORTS = "annual_reports", _("企业年度数据")
        DEED_TAX = "deed_tax", _("契税数据")
        INDICATORS = "indicators", _("经济指标")

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", _("成功")
        FAILED = "failed", _("失败")
        DRY_RUN = "dry_run", _("试运行（未写入）")

    kind = models.CharField(_("导入类型"), max_length=16, choices=Kind.choices)
    file_name = models.CharField(_("文件名"), max_length=255)
    user = models.ForeignKey(
        User,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The command line that ran it when no user did (``manage.py import_deed_tax``).
    command = models.CharField(_("命令"), max_length=64, blank=True)
    # Whose data it is: the uploader's department, or the one the command was told; none: zone-wide roles.
    department = models.ForeignKey(
        Department,
        verbose_name=_("所属部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("开始时间"), db_index=True)
    finished_at = models.DateTimeField(_("结束时间"))
    status = models.CharField(_("结果"), max_length=16, choices=Status.choices)
    rows_read = models.PositiveIntegerField(_("读取行数"), default=0)
    rows_written = models.PositiveIntegerField(_("写入行数"), default=0)
    # What refused the file as a whole, or the summary of a finished import.
    message = models.CharField(_("说明"), max_length=500, blank=True)
    error_count = models.PositiveIntegerField(_("错误行数"), default=0)
    # The first ``IMPORT_ERRORS_KEPT`` row errors: [{"row": 3, "message": "……"}, …].
    errors = models.JSONField(_("错误明细"), default=list, blank=True)

    class Meta:
        verbose_name = _("导入记录")
        verbose_name_plural = _("导入记录")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["status", "started_at"], name="importrecord_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name}（{self.get_status_display()}）"

    @property
    def who(self) -> str:
        if self.user_id is not None:
            return str(self.user)
        return self.command or "—"


auditlog.register(Department)
auditlog.register(User, exclude_fields=["password", "last_login"])
