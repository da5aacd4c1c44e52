from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.workdays import checks, services
from portal.workdays.forms import CalendarYearForm
from portal.workdays.models import CalendarDay, CalendarYear


class NextYearWarningMixin:
    """Every list of the calendar says when next year's schedule is still missing (from 1 December)."""

    def changelist_view(self, request, extra_context=None):
        checks.warn_in_admin(request)
        return super().changelist_view(request, extra_context)


@admin.register(CalendarYear)
class CalendarYearAdmin(NextYearWarningMixin, admin.ModelAdmin):
    form = CalendarYearForm
    list_display = ("year", "notice", "days_entered", "loaded_at")
    search_fields = ("notice",)
    fieldsets = (
        (None, {"fields": ("year", "notice")}),
        (
            gettext_lazy("本年度节假日安排"),
            {
                "fields": ("holidays", "workdays"),
                "description": gettext_lazy(
                    "按国务院办公厅通知录入。周末默认休息、周一至周五默认上班；此处只需录入放假日和调休上班日。"
                    "已录入的日期再次录入会被更新；单独删改请到“日历调整”。"
                ),
            },
        ),
    )

    @admin.display(description=gettext_lazy("已录入调整日"))
    def days_entered(self, obj):
        return CalendarDay.objects.filter(date__year=obj.year).count()

    def save_model(self, request, obj, form, change):
        saved = services.calendar_year_load(
            year=obj.year,
            notice=form.cleaned_data["notice"],
            holidays=form.cleaned_data["holidays"],
            workdays=form.cleaned_data["workdays"],
            user=request.user,
        )
        obj.pk, obj.loaded_at = saved.pk, saved.loaded_at

    def get_readonly_fields(self, request, obj=None):
        return ("year",) if obj else ()


@admin.register(CalendarDay)
class CalendarDayAdmin(NextYearWarningMixin, admin.ModelAdmin):
    list_display = ("date", "weekday", "is_workday", "name")
    list_filter = ("is_workday",)
    date_hierarchy = "date"
    search_fields = ("name",)

    def save_model(self, request, obj, form, change):
        services.calendar_day_save(day=obj, user=request.user)

    def delete_model(self, request, obj):
        services.calendar_day_delete(day=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for day in queryset:
            services.calendar_day_delete(day=day, user=request.user)

    @admin.display(description=gettext_lazy("星期"))
    def weekday(self, obj):
        return [_("一"), _("二"), _("三"), _("四"), _("五"), _("六"), _("日")][obj.date.weekday()]
