"""What every spreadsheet import command shares: the file argument, --dry-run, progress bars on stderr,
the row errors on stderr and the exit status. A command names its service and any arguments of its own."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from portal.tabular import ImportFileError


class FileImportCommand(BaseCommand):
    service = None  # set by subclasses: an import service taking data, filename, dry_run, progress

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV 或 XLSX 文件")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")

    def service_options(self, options: dict) -> dict:
        """The service's arguments beyond the file, from the command's own options."""
        return {}

    def summary(self, report) -> str:
        return report.summary()

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
