from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand

from portal.accounts.roles import roles_sync


class Command(BaseCommand):
    help = "把各角色组（部门工作人员、系统管理员、安全管理员、审计管理员、财务）的权限重设为最小权限。"

    def handle(self, *args, **options):
        for role, count in roles_sync(group_model=Group, permission_model=Permission).items():
            self.stdout.write(f"{role}：{count} 项权限")
