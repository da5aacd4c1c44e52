from django.conf import settings
from django.core.management.base import BaseCommand

from portal.residents import services


class Command(BaseCommand):
    help = "删除补贴已发放满保存期限（RESIDENT_DATA_RETENTION_YEARS 年）的购房记录及其购房人信息"

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只统计，不删除")

    def handle(self, *args, **options):
        counts = services.resident_data_purge(dry_run=options["dry_run"])
        verb = "将删除" if options["dry_run"] else "已删除"
        self.stdout.write(
            f"{verb}：购房记录 {counts['purchases']} 条，居民 {counts['persons']} 人，"
            f"已发放补贴的购房记录中的个人信息 {counts['purchases_cleared']} 条，"
            f"短信验证码 {counts['sms_codes']} 条"
            f"（保存期限：补贴发放后 {settings.RESIDENT_DATA_RETENTION_YEARS} 年）。"
        )
