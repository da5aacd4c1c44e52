"""Import records (导入记录), and the department staff's right to read them (the roles re-applied)."""

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

from portal.accounts.roles import roles_sync


def sync_roles(apps, schema_editor):
    # Permissions are normally created after the last migration; the roles need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_sync(
        group_model=apps.get_model("auth", "Group"), permission_model=apps.get_model("auth", "Permission")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_audit_append_only"),
        ("accounts", "0003_staff_roles"),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("enterprises", "企业档案"),
                            ("annual_reports", "企业年度数据"),
                            ("deed_tax", "契税数据"),
                            ("indicators", "经济指标"),
                        ],
                        max_length=16,
                        verbose_name="导入类型",
                    ),
                ),
                ("file_name", models.CharField(max_length=255, verbose_name="文件名")),
                ("command", models.CharField(blank=True, max_length=64, verbose_name="命令")),
                ("started_at", models.DateTimeField(db_index=True, verbose_name="开始时间")),
                ("finished_at", models.DateTimeField(verbose_name="结束时间")),
                (
                    "status",
                    models.CharField(
                        choices=[("succeeded", "成功"), ("failed", "失败"), ("dry_run", "试运行（未写入）")],
                        max_length=16,
                        verbose_name="结果",
                    ),
                ),
                ("rows_read", models.PositiveIntegerField(default=0, verbose_name="读取行数")),
                ("rows_written", models.PositiveIntegerField(default=0, verbose_name="写入行数")),
                ("message", models.CharField(blank=True, max_length=500, verbose_name="说明")),
                ("error_count", models.PositiveIntegerField(default=0, verbose_name="错误行数")),
                ("errors", models.JSONField(blank=True, default=list, verbose_name="错误明细")),
                (
                    "department",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="accounts.department",
                        verbose_name="所属部门",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="操作人",
                    ),
                ),
            ],
            options={
                "verbose_name": "导入记录",
                "verbose_name_plural": "导入记录",
                "ordering": ["-started_at", "-id"],
                "indexes": [models.Index(fields=["status", "started_at"], name="importrecord_status_idx")],
            },
        ),
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
    ]
