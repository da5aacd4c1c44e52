from django.core.management.base import BaseCommand, CommandError

from portal.exports import SafeCsvWriter
from subsidies.models import Award, Scheme


class Command(BaseCommand):
    help = "导出兑现记录为 CSV（标准输出）：uscc,scheme,period,status,amount"

    def add_arguments(self, parser):
        parser.add_argument("--scheme", action="append", metavar="CODE", help="只导出该方案（可重复）")

    def handle(self, *args, **options):
        awards = Award.objects.order_by("scheme__code", "period", "enterprise__uscc")
        codes = options["scheme"]
        if codes:
            known = set(Scheme.objects.filter(code__in=codes).values_list("code", flat=True))
            unknown = [code for code in codes if code not in known]
            if unknown:
                raise CommandError(f"没有这些方案：{'、'.join(unknown)}")
            awards = awards.filter(scheme__code__in=codes)
        writer = SafeCsvWriter(self.stdout, lineterminator="\n")
        writer.writerow(["uscc", "scheme", "period", "status", "amount"])
        rows = awards.values_list("enterprise__uscc", "scheme__code", "period", "status", "amount")
        for uscc, code, period, status, amount in rows.iterator(chunk_size=5000):
            writer.writerow([uscc, code, period, status, format(amount, "f")])
