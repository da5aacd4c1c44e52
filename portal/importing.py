"""What every spreadsheet import shares: a record of each run (``import_run``, for commands and admin
uploads alike), and for commands the file argument, --dry-run, progress bars on stderr, the row errors on
stderr and the exit status. A command names its service, its kind and any arguments of its own."""

import sys
from collections.abc import Callable
from pathlib import PurePath

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext
from tqdm import tqdm

from portal.accounts.models import Department, ImportRecord, User
from portal.accounts.services import import_record_save
from portal.tabular import ImportFileError, ImportReport


def import_run(
    *,
    kind: str,
    service: Callable[..., ImportReport],
    data: bytes,
    filename: str,
    dry_run: bool = False,
    user: User | None = None,
    command: str = "",
    department: Department | None = None,
    **options,
) -> ImportReport:
    """Run an import service and leave an import record whatever the outcome; errors still propagate.

    The service is all-or-nothing in its own transaction; the record is written after it, in another, so a
    refused or rolled-back import is recorded as failed. Call it outside any transaction of the caller's.
    """
    started_at = timezone.now()
    record = {
        "kind": kind,
        # The name only: where the file sat on a server is nobody's business.
        "file_name": PurePath(filename).name,
        "started_at": started_at,
        "user": user,
        "command": command,
        "department": department,
    }
    try:
        report = service(data=data, filename=filename, dry_run=dry_run, **options)
    except ImportFileError as exc:
        import_record_save(**record, status=ImportRecord.Status.FAILED, message=str(exc))
        raise
    except Exception:
        import_record_save(
            **record,
            status=ImportRecord.Status.FAILED,
            message=gettext("导入中途出错，已全部撤销，未做任何修改。请把文件和时间告知系统管理员。"),
        )
        raise
    if dry_run:
        status = ImportRecord.Status.DRY_RUN
    else:
        status = ImportRecord.Status.FAILED if report.errors else ImportRecord.Status.SUCCEEDED
    import_record_save(
        **record,
        status=status,
        rows_read=report.rows,
        rows_written=0 if dry_run or report.errors else report.created + report.updated,
        message=report.summary(),
        errors=report.errors,
    )
    return report


class FileImportCommand(BaseCommand):
    service = None  # set by subclasses: an import service taking data, filename, dry_run, progress
    kind = None  # set by subclasses: an ImportRecord.Kind, for the import record
    file_help = "CSV 或 XLSX 文件"

    def add_arguments(self, parser):
        parser.add_argument("file", help=self.file_help)
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")
        parser.add_argument(
            "--department", help="数据所属部门的代码：导入失败时该部门的工作人员在管理后台首页看到"
        )

    def service_options(self, options: dict) -> dict:
        """The service's arguments beyond the file, from the command's own options."""
        return {}

    def summary(self, report) -> str:
        return report.summary()

    def handle(self, *args, **options):
        path = options["file"]
        department = None
        if options["department"]:
            department = Department.objects.filter(code=options["department"]).first()
            if department is None:
                raise CommandError(f"没有代码为 {options['department']} 的部门。")
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise CommandError(f"无法读取文件 {path}：{exc.strerror}") from exc
        bars: dict[str, tqdm] = {}

        def progress(stage: str, rows: int) -> None:
            # One bar for checking every row, then one for writing them.
            if stage not in bars:
                for bar in bars.values():
                    bar.close()
                bars[stage] = tqdm(desc=stage, unit="行", file=sys.stderr, disable=options["verbosity"] == 0)
            bars[stage].update(rows)

        try:
            report = import_run(
                kind=self.kind,
                service=type(self).service,
                data=data,
                filename=path,
                dry_run=options["dry_run"],
                command=f"manage.py {self.__module__.rsplit('.', 1)[-1]}",
                department=department,
                progress=progress,
                **self.service_options(options),
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            for bar in bars.values():
                bar.close()
        for error in report.errors:
            self.stderr.write(str(error))
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(self.summary(report))
