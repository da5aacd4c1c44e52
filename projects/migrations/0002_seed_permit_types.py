"""The four permits (四证) of a construction project, with their time limits in working days.

Their issuing departments are set in admin (the demo links them): departments are data, not code.
"""

from django.db import migrations

PERMIT_TYPES = [
    ("land_use_planning", "建设用地规划许可证", 5, 1),
    ("works_planning", "建设工程规划许可证", 5, 2),
    ("property_title", "不动产权证书", 5, 3),
    ("construction", "建筑工程施工许可证", 3, 4),
]


def seed(apps, schema_editor):
    PermitType = apps.get_model("projects", "PermitType")
    for code, name, sla, order in PERMIT_TYPES:
        PermitType.objects.get_or_create(
            code=code, defaults={"name": name, "sla_workdays": sla, "order": order}
        )


def unseed(apps, schema_editor):
    PermitType = apps.get_model("projects", "PermitType")
    PermitType.objects.filter(code__in=[row[0] for row in PERMIT_TYPES], permits__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
