from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Department, Notification, User


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
    )


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "recipient", "created_at", "read_at", "emailed_at")
    list_filter = ("read_at", "created_at")
    search_fields = ("title", "recipient__username", "key")
    list_select_related = ("recipient",)
    readonly_fields = ("recipient", "key", "title", "body", "url", "created_at", "read_at", "emailed_at")

    def has_add_permission(self, request):
        return False
