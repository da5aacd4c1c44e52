"""Wordings learned from the FAQ votes (学到的问法), the query each vote was given for, and the department
staff's right to see and delete learned wordings (the roles re-applied)."""

import django.db.models.deletion
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
        ('content', '0003_synonym_english_phrases'),
        ('accounts', '0005_import_records'),
    ]

    operations = [
        migrations.CreateModel(
            name='LearnedPhrasing',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('text', models.CharField(max_length=100, verbose_name='问法')),
                ('sessions', models.PositiveIntegerField(default=0, verbose_name='认可的访客数')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='学到的时间')),
            ],
            options={
                'verbose_name': '学到的问法',
                'verbose_name_plural': '学到的问法',
                'ordering': ['faq_id', '-sessions', 'id'],
            },
        ),
        migrations.AddField(
            model_name='faqfeedback',
            name='query',
            field=models.CharField(blank=True, default='', max_length=100, verbose_name='访客的提问'),
        ),
        migrations.AddIndex(
            model_name='faqfeedback',
            index=models.Index(fields=['query', 'faq'], name='faq_feedback_query_idx'),
        ),
        migrations.AddField(
            model_name='learnedphrasing',
            name='faq',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='learned_phrasings', to='content.faq', verbose_name='问题'),
        ),
        migrations.AddConstraint(
            model_name='learnedphrasing',
            constraint=models.UniqueConstraint(fields=('faq', 'text'), name='learned_phrasing_once_per_faq'),
        ),
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
    ]
