"""The weekly dispatch as an XLSX workbook: one sheet per coordinator, ready to print for the meeting."""

import re

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from portal import exports

COLUMNS = [
    (gettext_lazy("序号"), 6),
    (gettext_lazy("项目代码"), 26),
    (gettext_lazy("项目名称"), 30),
    (gettext_lazy("企业"), 30),
    (gettext_lazy("阶段"), 10),
    (gettext_lazy("上周进展"), 46),
    (gettext_lazy("超时事项"), 40),
    (gettext_lazy("待解决堵点"), 36),
    (gettext_lazy("调度意见"), 30),
    (gettext_lazy("落实情况"), 30),
]
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def dispatch_workbook(dispatches) -> bytes:
    """The dispatches (items prefetched) as one workbook, a sheet per coordinator."""
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for dispatch in dispatches:
        sheet = book.create_sheet(_sheet_title(str(dispatch.coordinator), used))
        exports.xlsx_append(
            sheet,
            [
                _("%(week)s 周重点项目调度清单 · 分包人：%(who)s · 生成于 %(at)s")
                % {
                    "week": dispatch.week_start.isoformat(),
                    "who": dispatch.coordinator,
                    "at": timezone.localtime(dispatch.generated_at).strftime("%Y-%m-%d %H:%M"),
                }
            ],
        )
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
        sheet["A1"].font = Font(bold=True, size=13)
        exports.xlsx_append(sheet, [str(title) for title, _width in COLUMNS])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="F0F2F5")
        for index, (_title, width) in enumerate(COLUMNS, start=1):
            sheet.column_dimensions[sheet.cell(row=2, column=index).column_letter].width = width
        for number, item in enumerate(dispatch.items.all(), start=1):
            exports.xlsx_append(
                sheet,
                [
                    number,
                    item.project.code,
                    item.project.name,
                    item.project.enterprise.name,
                    item.get_stage_display(),
                    item.moved or _("无"),
                    item.overdue or _("无"),
                    item.blockers or _("无"),
                    item.note,
                    item.resolution,
                ],
            )
        for row in sheet.iter_rows(min_row=3):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "A3"
        if dispatch.note:
            exports.xlsx_append(sheet, [])
            exports.xlsx_append(sheet, [_("调度纪要"), dispatch.note])
    if not book.sheetnames:
        book.create_sheet(_("调度清单"))
    return exports.xlsx_bytes(book)


def _sheet_title(name: str, used: set[str]) -> str:
    # Excel sheet names: at most 31 characters, none of []:*?/\, unique in the workbook.
    base = _SHEET_FORBIDDEN.sub("", name)[:28] or _("分包人")
    title, n = base, 2
    while title in used:
        title, n = f"{base}{n}", n + 1
    used.add(title)
    return title
