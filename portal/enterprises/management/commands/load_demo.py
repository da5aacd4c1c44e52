from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# Each part's demo module, in the order their data depends on each other. A part that is not built has
# no demo module and is passed over.
DEMO_MODULES = (
    "portal.accounts.demo",
    "portal.workdays.demo",
    "portal.enterprises.demo",
    "policies.demo",
    "portal.residents.demo",
    "subsidies.demo",
    "projects.demo",
    "portal.servicedesk.demo",
    "portal.content.demo",
)


class Command(BaseCommand):
    help = "载入演示数据（可重复执行，不会重复写入）并列出演示账号"

    def handle(self, *args, **options):
        if not settings.DEBUG:
            # Demo accounts share one published password: they must never exist on a production portal.
            raise CommandError("DJANGO_DEBUG 已关闭（生产环境），拒绝载入演示数据和演示账号。")
        logins: list[tuple[str, str]] = []
        for name in DEMO_MODULES:
            if find_spec(name) is None:
                continue
            self.stderr.write(f"载入 {name} …")
            result = import_module(name).load(self.stderr)
            self.stderr.write("")
            logins.extend(result or [])
        from portal.accounts.demo import DEMO_PASSWORD

        self.stdout.write(f"\n演示账号（密码均为 {DEMO_PASSWORD}）：")
        for who, username in logins:
            self.stdout.write(f"  {username:<22} {who}")
        self.stdout.write(
            "  企业用户登录：http://127.0.0.1:8000/accounts/login/    管理后台：http://127.0.0.1:8000/admin/"
        )
