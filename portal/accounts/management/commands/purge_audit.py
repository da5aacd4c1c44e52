from django.core.management.base import BaseCommand

from portal.accounts import services


class Command(BaseCommand):
    help = "删除早于保留期限（AUDIT_RETENTION_DAYS，默认 184 天）的审计记录；更新的一条不动。"

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只统计，不删除")

    def handle(self, *args, **options):
        counts = services.audit_purge(dry_run=options["dry_run"])
        verb = "将删除" if options["dry_run"] else "已删除"
        self.stdout.write(
            f"{verb}早于 {counts['before']:%Y-%m-%d %H:%M} 的审计记录 {counts['logentries']} 条、"
            f"安全审计记录 {counts['security_events']} 条"
        )
