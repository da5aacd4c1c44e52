"""What the registry import commands share: arguments, progress bar, report and exit status."""

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from portal.enterprises.models import Source
from portal.tabular import ImportFileError


class ImportCommand(BaseCommand):
    service = None  # set by subclasses: a services.*_import function
    default_source = Source.MARKET

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV 或 XLSX 文件")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")
        parser.add_argument(
            "--source", choices=Source.values, default=self.default_source, help="数据来源（默认按导入类型）"
        )
        parser.add_argument("--as-of", type=dt.date.fromisoformat, help="数据日期 YYYY-MM-DD（默认今天）")

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
            report = type(self).service(
                data=data,
                filename=path,
                dry_run=options["dry_run"],
                source=options["source"],
                as_of=options["as_of"],
                progress=progress,
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
        self.stdout.write(report.summary())
