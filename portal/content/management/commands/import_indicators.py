from django.core.management.base import BaseCommand, CommandError

from portal.content import services
from portal.tabular import ImportFileError


class Command(BaseCommand):
    help = "导入经济指标（CSV，按期间和指标名新增或更新；有任何错误行则整个文件不导入）"

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV 文件")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise CommandError(f"无法读取文件 {path}：{exc.strerror}") from exc
        try:
            report = services.indicators_import(data=data, filename=path, dry_run=options["dry_run"])
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        for error in report.errors:
            self.stderr.write(str(error))
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
