"""The weekly dispatch as an XLSX workbook: one sheet per coordinator, ready to print for the meeting."""

import re
from typing import BinaryIO

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

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


def dispatch_workbook(dispatches) -> BinaryIO:
    """The dispatches (items prefetched) as one workbook, a sheet per coordinator, in a temporary file.

    Written in openpyxl's write-only mode, so memory does not grow with the items: each sheet's layout
    (widths, the merged title, frozen header) is declared before its rows.
    """
    book = exports.xlsx_write_only()
    used: set[str] = set()
    wrap = Alignment(wrap_text=True, vertical="top")
    for dispatch in dispatches:
        sheet = book.create_sheet(_sheet_title(str(dispatch.coordinator), used))
        for index, (_title, width) in enumerate(COLUMNS, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.merged_cells.add(f"A1:{get_column_letter(len(COLUMNS))}1")
        sheet.freeze_panes = "A3"
        title = _("%(week)s 周重点项目调度清单 · 分包人：%(who)s · 生成于 %(at)s") % {
            "week": dispatch.week_start.isoformat(),
            "who": dispatch.coordinator,
            "at": timezone.localtime(dispatch.generated_at).strftime("%Y-%m-%d %H:%M"),
        }
        exports.xlsx_row(sheet, [title], font=Font(bold=True, size=13))
        exports.xlsx_row(
            sheet,
            [str(title) for title, _width in COLUMNS],
            font=Font(bold=True),
            fill=PatternFill("solid", fgColor="F0F2F5"),
        )
        for number, item in enumerate(dispatch.items.all(), start=1):
            exports.xlsx_row(
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
                alignment=wrap,
            )
        if dispatch.note:
            exports.xlsx_row(sheet, [])
            exports.xlsx_row(sheet, [_("调度纪要"), dispatch.note], alignment=wrap)
    if not book.sheetnames:
        book.create_sheet(_("调度清单"))
    return exports.xlsx_file(book)


def _sheet_title(name: str, used: set[str]) -> str:
    # Excel sheet names: at most 31 characters, none of []:*?/\, unique in the workbook.
    base = _SHEET_FORBIDDEN.sub("", name)[:28] or _("分包人")
    title, n = base, 2
    while title in used:
        title, n = f"{base}{n}", n + 1
    used.add(title)
    return title
