from django.db import migrations, models

# Each batch decrypts its ID numbers in Python (the database cannot read them) and writes one UPDATE.
BATCH_SIZE = 1000


def fill_birth_dates(apps, schema_editor):
    """The birth date of every person on record, read from their ID number (the model field decrypts)."""
    from stdnum.cn import ric

    from portal.fields import Unreadable

    person_model = apps.get_model("residents", "Person")
    last = 0
    while True:
        batch = list(
            person_model.objects.filter(id__gt=last, birth_date__isnull=True)
            .order_by("id")
            .only("id", "id_number")[:BATCH_SIZE]
        )
        if not batch:
            return
        last = batch[-1].id
        changed = []
        for person in batch:
            # A number no configured key reads stays without a birth date: its rules stay undetermined.
            if isinstance(person.id_number, Unreadable):
                continue
            try:
                person.birth_date = ric.get_birth_date(person.id_number)
            except ValueError:
                continue
            changed.append(person)
        person_model.objects.bulk_update(changed, ["birth_date"])


class Migration(migrations.Migration):
    dependencies = [
        ("residents", "0003_purchase_personal_data_cleared"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="birth_date",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="出生日期"),
        ),
        migrations.RunPython(fill_birth_dates, migrations.RunPython.noop, elidable=True),
    ]
