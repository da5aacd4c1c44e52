from django.core.management.base import BaseCommand, CommandError

from subsidies import rules
from subsidies.schemes import schemes_import


class Command(BaseCommand):
    help = (
        "导入兑现方案（JSON 列表，按方案代码新增或更新；规则中的数字按十进制读取；"
        "有任何错误则整个文件不导入）"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON 文件：方案对象的列表")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            with open(path, "rb") as handle:
                entries = rules.parse(handle.read())
        except OSError as exc:
            raise CommandError(f"无法读取文件 {path}：{exc.strerror}") from exc
        except rules.RuleError as exc:
            raise CommandError(f"{path}：{exc}") from exc
        report = schemes_import(entries=entries, dry_run=options["dry_run"])
        for error in report.errors:
            self.stderr.write(error)
        if not report.ok:
            raise CommandError(f"共 {len(report.errors)} 处错误，未导入任何方案。")
        prefix = "试运行（未写入）：" if report.dry_run else ""
        self.stdout.write(
            f"{prefix}新增 {len(report.created)} 个，更新 {len(report.updated)} 个，"
            f"未变 {len(report.unchanged)} 个方案。"
        )
