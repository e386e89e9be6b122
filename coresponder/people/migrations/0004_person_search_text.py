"""People's names folded for search (case, accents, punctuation), filled for existing rows."""

from django.db import migrations, models

from coresponder.domain.linkage import search_text


def fill_search_text(apps, schema_editor):
    Person = apps.get_model("people", "Person")
    batch = []
    for person in Person.objects.only("given_name", "family_name", "aliases").iterator(
        chunk_size=2000
    ):
        aliases = [a for a in person.aliases or [] if isinstance(a, str)]
        person.search_text = search_text(person.given_name, person.family_name, aliases)[:500]
        batch.append(person)
        if len(batch) >= 2000:
            Person.objects.bulk_update(batch, ["search_text"])
            batch = []
    if batch:
        Person.objects.bulk_update(batch, ["search_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0003_identity"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="search_text",
            field=models.CharField(blank=True, editable=False, max_length=500),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
    ]
