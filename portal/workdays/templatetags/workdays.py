from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from portal.workdays.selectors import is_provisional

register = template.Library()


@register.filter
def provisional(value) -> str:
    """A 暂定 mark after a date computed on a year's provisional Monday–Friday schedule; nothing otherwise."""
    if not is_provisional(value):
        return ""
    return format_html(
        ' <span class="badge provisional" title="{}">{}</span>',
        _("该年节假日安排尚未公布，暂按周一至周五计算；公布后自动更新。"),
        _("暂定"),
    )
