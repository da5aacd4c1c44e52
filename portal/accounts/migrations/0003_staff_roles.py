"""The staff roles (三权分立) as groups with least privilege; ``manage.py sync_roles`` re-applies them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.utils import timezone

from portal.accounts.roles import roles_sync


def create_roles(apps, schema_editor):
    # Permissions are normally created after the last migration; the roles need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_sync(group_model=apps.get_model("auth", "Group"), permission_model=apps.get_model("auth", "Permission"))


def start_password_ages(apps, schema_editor):
    # Existing passwords count from today, so nobody is forced to change on the day this is deployed.
    apps.get_model("accounts", "User").objects.filter(password_changed_at__isnull=True).update(
        password_changed_at=timezone.now()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_security_trail_and_password_age"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("workdays", "0001_initial"),
        ("enterprises", "0001_initial"),
        ("content", "0002_article_search_tokens"),
        ("servicedesk", "0002_service_levels"),
        ("policies", "0001_initial"),
        ("subsidies", "0004_fewer_award_indexes"),
        ("projects", "0002_seed_permit_types"),
        ("axes", "0010_accessattemptexpiration"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
        ("auditlog", "0017_add_actor_email"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(create_roles, migrations.RunPython.noop),
        migrations.RunPython(start_password_ages, migrations.RunPython.noop),
    ]
