"""Demo departments, the staff group and staff logins (``manage.py load_demo``)."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from portal.accounts.models import Department, User

DEMO_PASSWORD = "Demo#2023zone"  # noqa: S105 - printed to the demo user on purpose

DEPARTMENTS = [
    ("cxfz", "创新发展局", True, "0371-67980001"),
    ("jjfz", "经济发展局", False, "0371-67980002"),
    ("gtgh", "国土规划住建局", False, "0371-67980003"),
    ("rlzy", "人力资源局", False, "0371-67980004"),
    ("czjr", "财政金融局", False, "0371-67980005"),
    ("yyzx", "园区运营中心", False, "0371-67980006"),
]

STAFF = [
    ("admin", "系统管理员", "yyzx", True),
    ("cxfz", "创新发展局 王科长", "cxfz", False),
    ("jjfz", "经济发展局 李科长", "jjfz", False),
    ("gtgh", "国土规划住建局 张科长", "gtgh", False),
    ("rlzy", "人力资源局 赵科长", "rlzy", False),
    ("czjr", "财政金融局 陈科长", "czjr", False),
]

STAFF_GROUP = "园区工作人员"
STAFF_APPS = (
    "accounts",
    "enterprises",
    "workdays",
    "content",
    "servicedesk",
    "policies",
    "subsidies",
    "projects",
)


@transaction.atomic
def load(out) -> list[tuple[str, str]]:
    """Departments, a staff group with the portal's model permissions, and one login per department."""
    departments = {}
    for code, name, coordinating, phone in DEPARTMENTS:
        departments[code], _ = Department.objects.update_or_create(
            code=code, defaults={"name": name, "is_coordinating": coordinating, "phone": phone}
        )
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=STAFF_APPS))
    logins = []
    for username, display, dept, superuser in STAFF:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username)
            user.set_password(DEMO_PASSWORD)
        user.display_name = display
        user.department = departments[dept]
        user.is_staff = True
        user.is_superuser = superuser
        user.save()
        user.groups.add(group)
        logins.append(
            (f"工作人员（{departments[dept].name}）" + ("，超级管理员" if superuser else ""), username)
        )
    for code, _name, _c, _p in DEPARTMENTS:
        head = User.objects.get(username="admin" if code == "yyzx" else code)
        Department.objects.filter(code=code).update(head=head)
    out.write(f"部门 {len(DEPARTMENTS)} 个，工作人员账号 {len(STAFF)} 个")
    return logins
