import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from portal.residents import services
from portal.tabular import ImportFileError


class Command(BaseCommand):
    help = (
        "导入税务局契税数据（CSV/XLSX，每行一位购房人，按网签合同号和身份证号新增或更新；"
        "有任何错误行则整个文件不导入）"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV 或 XLSX 文件")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")

    def handle(self, *args, **options):
        path = options["file"]
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
            report = services.deed_tax_import(
                data=data, filename=path, dry_run=options["dry_run"], progress=progress
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
        self.stdout.write(report.summary().replace("新增", "购房记录新增"))
