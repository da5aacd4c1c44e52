"""The service-performance figures in plain language: a label, a unit and a way to write each key.

The keys are those of ``portal.stats.figures``; a key the built parts do not return is simply not shown.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal import stats
from portal.content.periods import Period, half_year, last_complete_half_year, span_label

MAX_SPAN_YEARS = 10


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    kind: str  # count, rate, days, money
    unit: str = ""
    note: str = ""


SECTIONS = (
    (
        _("企业服务"),
        (
            Figure("enterprises", _("在册企业"), "count", _("家"), _("期末在企业档案中登记的企业")),
            Figure("enterprise_visits", _("走访企业"), "count", _("次"), _("“万人助万企”入企走访")),
            Figure("problems_collected", _("收集企业问题"), "count", _("个"), _("走访、热线、网上等渠道")),
            Figure("problems_resolved", _("已解决问题"), "count", _("个")),
            Figure("problem_resolution_rate", _("问题解决率"), "rate"),
        ),
    ),
    (
        _("项目审批"),
        (
            Figure("filings", _("企业投资项目备案"), "count", _("个")),
            Figure("filing_avg_working_days", _("备案平均办理时长"), "days", _("个工作日")),
            Figure(
                "four_permits_same_day_projects",
                _("“拿地即开工”四证齐发项目"),
                "count",
                _("个"),
                _("取得土地当天四证全部核发"),
            ),
            Figure("acceptances_online", _("线上联合验收"), "count", _("个")),
            Figure("acceptances_offline", _("线下联合验收"), "count", _("个")),
        ),
    ),
    (
        _("惠企政策"),
        (
            Figure(
                "auto_subsidy_policies", _("“免申即享”兑现政策"), "count", _("项"), _("本期产生兑现的政策")
            ),
            Figure("auto_subsidy_amount", _("“免申即享”兑现金额"), "money", _("万元")),
            Figure("subsidy_paid_amount", _("惠企政策资金拨付"), "money", _("万元"), _("各类兑现方式合计")),
        ),
    ),
    (
        _("惠民政策"),
        (
            Figure(
                "household_subsidy_amount",
                _("发放契税补贴"),
                "money",
                _("万元"),
                _("本期拨付到购房家庭的补贴"),
            ),
            Figure("household_subsidy_households", _("契税补贴惠及"), "count", _("户")),
        ),
    ),
)
FIGURES = {figure.key: figure for _title, figures in SECTIONS for figure in figures}
HEADLINE_KEYS = ("enterprises", "enterprise_visits", "problem_resolution_rate", "auto_subsidy_amount")


def format_value(figure: Figure, value) -> str:
    """The value as a person reads it: 7,556 / 99.9% / 1.0 / 6,764.50 (money in 万元)."""
    if figure.kind == "count":
        return f"{int(value):,}"
    if figure.kind == "rate":
        return f"{Decimal(str(value)) * 100:.1f}%"
    if figure.kind == "days":
        return f"{Decimal(str(value)):.1f}"
    if figure.kind == "money":
        try:
            yuan = Decimal(str(value))
        except InvalidOperation:
            return str(value)
        return f"{yuan / 10000:,.2f}"
    return str(value)


def present(figures: dict, *, keys=None) -> list[dict]:
    """Sections of labelled, formatted figures; only keys present in ``figures`` (never a zero instead)."""
    sections = []
    for title, members in SECTIONS:
        items = [
            {
                "key": f.key,
                "label": f.label,
                "value": format_value(f, figures[f.key]),
                "unit": f.unit,
                "note": f.note,
            }
            for f in members
            if f.key in figures and figures[f.key] is not None and (keys is None or f.key in keys)
        ]
        if items:
            sections.append({"title": title, "items": items})
    return sections


class PeriodError(ValueError):
    """A period the stats cannot be asked for; the message says why, in Chinese."""


def _date(text: str, which: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(
            gettext("%(which)s“%(text)s”不是有效日期，格式应为 YYYY-MM-DD，例如 2023-01-01。")
            % {"which": which, "text": text}
        ) from None


def stats_span(from_text: str | None, to_text: str | None, *, default: tuple[dt.date, dt.date]):
    """The (start, end) asked for; both absent gives ``default``; ``PeriodError`` when it makes no sense."""
    if not from_text and not to_text:
        return default
    if not from_text or not to_text:
        raise PeriodError(gettext("请同时提供开始日期（from）和结束日期（to）。"))
    start, end = _date(from_text, gettext("开始日期")), _date(to_text, gettext("结束日期"))
    if start > end:
        raise PeriodError(gettext("开始日期不能晚于结束日期。"))
    if (end.year - start.year, end.month, end.day) > (MAX_SPAN_YEARS, start.month, start.day):
        raise PeriodError(gettext("统计区间不能超过 %(years)d 年。") % {"years": MAX_SPAN_YEARS})
    return start, end


def period_title(start: dt.date, end: dt.date) -> str:
    return span_label(start, end)


def default_half_year(today: dt.date) -> Period:
    """The half year the figures show by default: the latest complete one that every part with records
    (filings, visits and problems, awards) has reached.

    The last complete half year when nothing is recorded yet; never one after it.
    """
    complete = last_complete_half_year(today)
    latest = stats.latest_day(until=complete.end)
    if latest is None:
        return complete
    return half_year(latest.year, 1 if latest.month <= 6 else 2)
