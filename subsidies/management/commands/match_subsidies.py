import json

from django.core.management.base import BaseCommand, CommandError

from portal.enterprises.models import Enterprise
from subsidies import matching


class Command(BaseCommand):
    help = "比对执行中的免申即享方案与企业数据，生成待审核的兑现记录；在标准输出打印一行 JSON 结果"

    def add_arguments(self, parser):
        parser.add_argument("--scheme", action="append", metavar="CODE", help="只比对该方案（可重复）")
        parser.add_argument("--enterprise", action="append", metavar="USCC", help="只比对该企业（可重复）")
        parser.add_argument("--dry-run", action="store_true", help="试运行：统计结果，不写入兑现记录")

    def handle(self, *args, **options):
        enterprise_ids = None
        if options["enterprise"]:
            found = dict(Enterprise.objects.filter(uscc__in=options["enterprise"]).values_list("uscc", "id"))
            unknown = [uscc for uscc in options["enterprise"] if uscc not in found]
            if unknown:
                raise CommandError(f"企业档案中没有统一社会信用代码：{'、'.join(unknown)}")
            enterprise_ids = sorted(found.values())
        quiet = options["verbosity"] == 0
        try:
            run = matching.match_run_execute(
                trigger="manual",
                scheme_codes=options["scheme"],
                enterprise_ids=enterprise_ids,
                dry_run=options["dry_run"],
                progress=None if quiet else lambda message: self.stderr.write(message),
            )
        except matching.MatchError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(matching.run_summary(run), ensure_ascii=False))
