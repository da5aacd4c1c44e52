from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.shortcuts import get_object_or_404
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from portal.accounts import selectors, services
from portal.accounts.models import Department, ImportRecord, Notification, SecurityEvent, User

# Fields only a superuser may set on anyone: nobody else hands out superuser or single permissions.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "user_permissions")
# Fields nobody but a superuser may change on their own record: no one grants themselves a role, nor
# makes their own login a member (or the legal representative) of an enterprise, nor moves department.
OWN_RECORD_FIELDS = ("groups", "is_staff", "is_active", "department", "enterprise", "enterprise_role")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "is_coordinating", "head", "phone")
    search_fields = ("name", "code")
    list_filter = ("is_coordinating",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "username",
        "display_name",
        "department",
        "enterprise",
        "enterprise_role",
        "is_staff",
        "is_active",
    )
    list_filter = ("is_staff", "is_active", "department", "enterprise_role")
    search_fields = ("username", "display_name", "enterprise__uscc", "enterprise__name")
    autocomplete_fields = ("enterprise",)
    list_select_related = ("department", "enterprise")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("门户身份"), {"fields": ("display_name", "phone", "department", "enterprise", "enterprise_role")}),
        (_("安全"), {"fields": ("password_changed_at",)}),
    )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            # A user's record shows a phone number: personal data, so each view is in the security trail.
            services.security_event_record(
                kind=SecurityEvent.Kind.PERSONAL_DATA_VIEWED, request=request, target=f"user:{object_id}"
            )
        return response

    def get_readonly_fields(self, request, obj=None):
        fields = ["last_login", "date_joined", "password_changed_at"]
        if not request.user.is_superuser:
            fields.extend(SUPERUSER_ONLY_FIELDS)
            if obj is not None and obj.pk == request.user.pk:
                fields.extend(OWN_RECORD_FIELDS)
        return fields

    def has_change_permission(self, request, obj=None):
        # A system administrator manages accounts, but never a superuser's (password included).
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "recipient", "created_at", "read_at", "emailed_at")
    list_filter = ("read_at", "created_at")
    search_fields = ("title", "recipient__username", "key")
    list_select_related = ("recipient",)
    readonly_fields = ("recipient", "key", "title", "body", "url", "created_at", "read_at", "emailed_at")

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        # A department sees the messages of its own staff only: problem notices carry the answer text.
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        if request.user.department_id is None:
            return qs.filter(recipient=request.user)
        return qs.filter(recipient__department_id=request.user.department_id)


class AppendOnlyAdmin(admin.ModelAdmin):
    """Audit records are read, never written or deleted through admin, by anyone, superusers included."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SecurityEvent)
class SecurityEventAdmin(AppendOnlyAdmin):
    list_display = ("at", "kind", "username", "ip_address", "success", "target", "detail")
    list_filter = ("kind", "success", "at")
    search_fields = ("username", "ip_address", "target")
    date_hierarchy = "at"


@admin.register(ImportRecord)
class ImportRecordAdmin(AppendOnlyAdmin):
    list_display = (
        "started_at",
        "kind",
        "file_name",
        "status",
        "who",
        "department",
        "rows_read",
        "rows_written",
        "error_count",
    )
    list_filter = ("status", "kind", "department", "started_at")
    search_fields = ("file_name", "user__username", "user__display_name", "command")
    date_hierarchy = "started_at"
    list_select_related = ("user", "department")
    list_per_page = 50
    fields = (
        "kind",
        "file_name",
        "status",
        "who",
        "department",
        "started_at",
        "finished_at",
        "rows_read",
        "rows_written",
        "message",
        "error_count",
        "error_rows",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        # A department reads its own imports; the zone-wide roles read all.
        return selectors.import_records_visible_to(user=request.user)

    @admin.display(description=_("操作人"))
    def who(self, obj: ImportRecord) -> str:
        return obj.who

    @admin.display(description=_("错误明细"))
    def error_rows(self, obj: ImportRecord) -> str:
        if not obj.errors:
            return "—"
        return format_html_join("", "<p>{}</p>", ((_("第 %(row)s 行：%(message)s") % e,) for e in obj.errors))


def _append_only(model_admin_class):
    """The same admin class, refusing changes and deletions to everyone."""
    return type(model_admin_class.__name__, (AppendOnlyAdmin, model_admin_class), {})


class UnlockRecordingMixin:
    """Deleting a lockout (axes attempt) unlocks an account: each unlock goes to the security trail."""

    def _record_unlocks(self, request, attempts):
        for attempt in attempts:
            services.security_event_record(
                kind=SecurityEvent.Kind.UNLOCKED,
                request=request,
                username=attempt.username or "",
                target=f"accessattempt:{attempt.pk}",
            )

    def delete_model(self, request, obj):
        self._record_unlocks(request, [obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        self._record_unlocks(request, list(queryset))
        super().delete_queryset(request, queryset)


def _lock_audit_admins():
    from auditlog.models import LogEntry
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    if admin.site.is_registered(AccessAttempt):
        current = type(admin.site.get_model_admin(AccessAttempt))
        admin.site.unregister(AccessAttempt)
        admin.site.register(AccessAttempt, type(current.__name__, (UnlockRecordingMixin, current), {}))

    for model in (LogEntry, AccessLog, AccessFailureLog):
        if admin.site.is_registered(model):
            current = type(admin.site.get_model_admin(model))
            admin.site.unregister(model)
            admin.site.register(model, _append_only(current))
    if admin.site.is_registered(LogEntry):
        log_admin = admin.site.get_model_admin(LogEntry)
        log_admin.list_filter = tuple(
            _checked_resource_type_filter(f) if getattr(f, "parameter_name", None) == "resource_type" else f
            for f in log_admin.list_filter
        )


def _checked_resource_type_filter(base):
    """django-auditlog's 资源类型 filter passes its value to the query as it comes: ``?resource_type=abc``
    was a server error. A value that is not a content type's number lists nothing."""

    def queryset(self, request, queryset):
        value = self.value()
        if value is not None and not value.isdigit():
            return queryset.none()
        return base.queryset(self, request, queryset)

    return type(base.__name__, (base,), {"queryset": queryset})


class MissingDeviceNotFoundMixin:
    """django-otp's device admin reads the device of its QR code pages with ``objects.get``: a number that
    names no device was a server error. Here it is the site's "not found" page."""

    def config_view(self, request, pk):
        get_object_or_404(self.get_queryset(request), pk=pk)
        return super().config_view(request, pk)

    def qrcode_view(self, request, pk):
        get_object_or_404(self.get_queryset(request), pk=pk)
        return super().qrcode_view(request, pk)


def _guard_device_admin():
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if admin.site.is_registered(TOTPDevice):
        current = type(admin.site.get_model_admin(TOTPDevice))
        admin.site.unregister(TOTPDevice)
        admin.site.register(TOTPDevice, type(current.__name__, (MissingDeviceNotFoundMixin, current), {}))


_lock_audit_admins()
_guard_device_admin()
