import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from policies import services
from policies.imports import PolicyFileError


class Command(BaseCommand):
    help = "导入政策（JSON 列表，按政策代码新增或更新；有任何错误条目则整个文件不导入）"

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON 文件：政策对象的列表")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise CommandError(f"无法读取文件 {path}：{exc.strerror}") from exc
        bar = tqdm(desc="导入", unit="条", file=sys.stderr, disable=options["verbosity"] == 0)
        try:
            report = services.policies_import(data=data, dry_run=options["dry_run"], progress=bar.update)
        except PolicyFileError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        for error in report.errors:
            self.stderr.write(str(error))
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
