from django.db import migrations

# The defaults as they stood when this migration was written; staff change them in admin.
DEFAULTS = {
    "land": 15,
    "permits": 5,
    "finance": 10,
    "talent": 5,
    "policy": 10,
    "utilities": 3,
    "other": 5,
}


def seed(apps, schema_editor):
    ServiceLevel = apps.get_model("servicedesk", "ServiceLevel")
    for category, days in DEFAULTS.items():
        ServiceLevel.objects.get_or_create(category=category, defaults={"answer_workdays": days})


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
