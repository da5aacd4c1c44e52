import sys

from django.core.management.base import BaseCommand, CommandError

from portal.accounts.models import EnterpriseRole
from portal.accounts.services import AccountError, enterprise_user_create
from portal.enterprises.selectors import enterprise_by_uscc


class Command(BaseCommand):
    help = "为企业创建登录账号（密码从标准输入读取）"

    def add_arguments(self, parser):
        parser.add_argument("--uscc", required=True, help="企业统一社会信用代码")
        parser.add_argument("--username", required=True, help="登录名（可用统一社会信用代码或个人账号）")
        parser.add_argument(
            "--role", required=True, choices=EnterpriseRole.values, help="owner 法定代表人 / agent 经办人"
        )
        parser.add_argument("--display-name", default="", help="姓名")
        parser.add_argument("--password-stdin", action="store_true", required=True, help="从标准输入读取密码")

    def handle(self, *args, **options):
        enterprise = enterprise_by_uscc(uscc=options["uscc"])
        if enterprise is None:
            raise CommandError(f"企业档案中没有统一社会信用代码 {options['uscc']}。")
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError("标准输入中没有密码。")
        try:
            user = enterprise_user_create(
                enterprise=enterprise,
                username=options["username"],
                role=options["role"],
                password=password,
                display_name=options["display_name"],
            )
        except AccountError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"已创建账号 {user.username}（{enterprise.name}，{user.get_enterprise_role_display()}）"
        )
