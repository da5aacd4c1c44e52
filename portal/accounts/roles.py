"""The staff roles (三权分立): which model permissions each group holds, and nothing more.

The definition is data; ``roles_sync`` applies it to whatever ``Group`` and ``Permission`` models it is
given, so the data migration (historical models) and ``manage.py sync_roles`` (live models) share it.
"""

ALL = ("add", "change", "delete", "view")
READ = ("view",)

DEPARTMENT_STAFF = "部门工作人员"
SYSTEM_ADMIN = "系统管理员"
SECURITY_ADMIN = "安全管理员"
AUDIT_ADMIN = "审计管理员"
FINANCE = "财务"

# role -> {app_label: {model_name: actions}}. A model not named holds no permission for the role.
ROLES: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    # Their department's problems, projects, schemes and the catalogue; no user or permission management.
    DEPARTMENT_STAFF: {
        "servicedesk": dict.fromkeys(
            ("servicelevel", "visit", "problem", "problemstep", "escalation", "problemattachment"), ALL
        ),
        "projects": dict.fromkeys(
            (
                "project",
                "filing",
                "filingreport",
                "permit",
                "permitstep",
                "permitpause",
                "permitcommitment",
                "acceptance",
                "blocker",
                "dispatch",
                "dispatchitem",
            ),
            ALL,
        )
        | {"permittype": READ},
        "subsidies": dict.fromkeys(
            ("scheme", "matchrun", "matchchunk", "undetermined", "lostcandidate", "award"), ALL
        )
        | {"awardevent": READ},
        "policies": dict.fromkeys(("category", "policy", "attachment"), ALL) | {"subscription": READ},
        "enterprises": dict.fromkeys(("enterprise", "annualreport", "qualification"), ALL),
        "content": dict.fromkeys(("article", "faqcategory", "faq", "synonymgroup", "indicator"), ALL)
        | {"faqfeedback": READ, "learnedphrasing": ("view", "delete")},
        "workdays": {"calendaryear": ALL, "calendarday": ALL},
        "accounts": {"notification": READ, "importrecord": READ},
    },
    # Accounts and departments, and the scheduled jobs; not the audit log's content, not money.
    SYSTEM_ADMIN: {
        "accounts": {"user": ALL, "department": ALL},
        "auth": {"group": READ},
        "django_celery_beat": dict.fromkeys(
            (
                "periodictask",
                "periodictasks",
                "crontabschedule",
                "intervalschedule",
                "solarschedule",
                "clockedschedule",
            ),
            ALL,
        ),
    },
    # Lockouts (an unlock deletes the attempt row), second-factor devices, the login trail.
    SECURITY_ADMIN: {
        "axes": {"accessattempt": ("view", "delete"), "accesslog": READ, "accessfailurelog": READ},
        "otp_totp": {"totpdevice": ALL},
        "otp_static": {"staticdevice": ALL, "statictoken": ALL},
        "accounts": {"user": READ, "securityevent": READ},
    },
    # Reads the audit trails and nothing else: the model log, the security trail, who opened a resident's
    # record and why, and every award's trail of who moved it.
    AUDIT_ADMIN: {
        "auditlog": {"logentry": READ},
        "accounts": {"securityevent": READ},
        "residents": {"personaccess": READ},
        "subsidies": {"awardevent": READ},
    },
    # Payment batches (拨付) and what they are made of.
    FINANCE: {
        "subsidies": {"paymentbatch": ALL, "award": READ, "awardevent": READ, "scheme": READ},
    },
}


def role_codenames(role: str) -> set[tuple[str, str]]:
    """(app_label, codename) of every permission a role holds."""
    return {
        (app_label, f"{action}_{model}")
        for app_label, models in ROLES[role].items()
        for model, actions in models.items()
        for action in actions
    }


def roles_sync(*, group_model, permission_model) -> dict[str, int]:
    """Create the role groups and set each one's permissions to exactly its definition."""
    counts = {}
    for role in ROLES:
        wanted = role_codenames(role)
        group, _ = group_model.objects.get_or_create(name=role)
        permissions = [
            p
            for p in permission_model.objects.filter(
                content_type__app_label__in={app for app, _c in wanted}
            ).select_related("content_type")
            if (p.content_type.app_label, p.codename) in wanted
        ]
        group.permissions.set(permissions)
        counts[role] = len(permissions)
    return counts
