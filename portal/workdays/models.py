from auditlog.registry import auditlog
from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarYear(models.Model):
    """A year whose State Council holiday schedule staff have loaded (国务院办公厅节假日安排)."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    notice = models.CharField(_("通知文号或出处"), max_length=200, blank=True)
    loaded_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("节假日安排年度")
        verbose_name_plural = _("节假日安排年度")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """A day whose status staff set: a holiday, or a make-up working day (调休上班). Wins over the package."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是否工作日"))
    name = models.CharField(_("说明"), max_length=64, blank=True, help_text=_("如：春节、国庆节调休上班"))

    class Meta:
        verbose_name = _("日历调整")
        verbose_name_plural = _("日历调整")
        ordering = ["date"]

    def __str__(self) -> str:
        kind = _("工作日") if self.is_workday else _("休息日")
        return f"{self.date} {kind} {self.name}".strip()


# The working-day calendar moves every deadline: each edit is kept in the audit log.
auditlog.register(CalendarYear)
auditlog.register(CalendarDay)
