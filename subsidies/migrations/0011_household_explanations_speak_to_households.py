from django.db import migrations

# Each batch reads and writes the stored explanations of this many household awards.
BATCH_SIZE = 1000


def speak_to_households(apps, schema_editor):
    """Stored household explanations said 贵企业 of the house bought; say 该套住房, as new ones do.

    Only the new-build fact (a yes/no) put an enterprise in a household's sentence, so the one word is
    replaced; enterprises' explanations are not touched.
    """
    award_model = apps.get_model("subsidies", "Award")
    last = 0
    while True:
        batch = list(
            award_model.objects.filter(id__gt=last, purchase__isnull=False)
            .order_by("id")
            .only("id", "explanation")[:BATCH_SIZE]
        )
        if not batch:
            return
        last = batch[-1].id
        changed = []
        for award in batch:
            trace = (award.explanation or {}).get("trace") or []
            if not any("贵企业" in (clause.get("text") or "") for clause in trace):
                continue
            for clause in trace:
                clause["text"] = (clause.get("text") or "").replace("贵企业", "该套住房")
            changed.append(award)
        award_model.objects.bulk_update(changed, ["explanation"])


class Migration(migrations.Migration):
    dependencies = [
        ("subsidies", "0010_award_waitlisted_idx"),
    ]

    operations = [
        migrations.RunPython(speak_to_households, migrations.RunPython.noop, elidable=True),
    ]
