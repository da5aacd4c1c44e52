"""Demo departments and staff logins, one per role (``manage.py load_demo``)."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from portal.accounts import roles
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

# username, name, department, superuser, roles. Separation of duties: accounts, security and audit are
# three different people, and the finance bureau's login pays but does not review.
STAFF = [
    ("admin", "超级管理员", "yyzx", True, ()),
    ("sysadmin", "园区运营中心 系统管理员", "yyzx", False, (roles.SYSTEM_ADMIN,)),
    ("secadmin", "园区运营中心 安全管理员", "yyzx", False, (roles.SECURITY_ADMIN,)),
    ("auditor", "园区运营中心 审计管理员", "yyzx", False, (roles.AUDIT_ADMIN,)),
    ("cxfz", "创新发展局 王科长", "cxfz", False, (roles.DEPARTMENT_STAFF,)),
    ("jjfz", "经济发展局 李科长", "jjfz", False, (roles.DEPARTMENT_STAFF,)),
    ("gtgh", "国土规划住建局 张科长", "gtgh", False, (roles.DEPARTMENT_STAFF,)),
    ("rlzy", "人力资源局 赵科长", "rlzy", False, (roles.DEPARTMENT_STAFF,)),
    ("czjr", "财政金融局 陈科长", "czjr", False, (roles.DEPARTMENT_STAFF, roles.FINANCE)),
]

LEGACY_STAFF_GROUP = "园区工作人员"

# The group other demos add their department staff to.
STAFF_GROUP = roles.DEPARTMENT_STAFF


@transaction.atomic
def load(out) -> list[tuple[str, str]]:
    """Departments, the role groups (re-synced) and one login per department and per role."""
    departments = {}
    for code, name, coordinating, phone in DEPARTMENTS:
        departments[code], _ = Department.objects.update_or_create(
            code=code, defaults={"name": name, "is_coordinating": coordinating, "phone": phone}
        )
    roles.roles_sync(group_model=Group, permission_model=Permission)
    # Earlier demos gave every staff login one group holding every permission; it must not linger.
    Group.objects.filter(name=LEGACY_STAFF_GROUP).delete()
    groups = {g.name: g for g in Group.objects.filter(name__in=roles.ROLES)}
    logins = []
    for username, display, dept, superuser, user_roles in STAFF:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username)
            user.set_password(DEMO_PASSWORD)
        user.display_name = display
        user.department = departments[dept]
        user.is_staff = True
        user.is_superuser = superuser
        user.save()
        user.groups.set([groups[name] for name in user_roles])
        label = "超级管理员" if superuser else "、".join(user_roles)
        logins.append((f"工作人员（{departments[dept].name}，{label}）", username))
    for code, _name, _c, _p in DEPARTMENTS:
        head = User.objects.get(username="admin" if code == "yyzx" else code)
        Department.objects.filter(code=code).update(head=head)
    out.write(f"部门 {len(DEPARTMENTS)} 个，工作人员账号 {len(STAFF)} 个")
    return logins
