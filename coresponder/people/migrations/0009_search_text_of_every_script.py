"""Names in scripts other than Latin are kept in the search text, no longer folded away."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from coresponder.domain.linkage import search_text

BATCH = 2000


def refold(apps: Any, schema_editor: Any) -> None:
    person_model = apps.get_model("people", "Person")
    people = person_model.objects.only("pk", "given_name", "family_name", "aliases", "search_text")
    changed = []
    for person in people.order_by("pk").iterator(chunk_size=BATCH):
        names = (person.given_name, person.family_name, *(person.aliases or []))
        if all(str(name).isascii() for name in names):
            continue
        aliases = [str(a) for a in person.aliases or [] if isinstance(a, str)]
        folded = search_text(person.given_name, person.family_name, aliases)[:500]
        if folded != person.search_text:
            person.search_text = folded
            changed.append(person)
    person_model.objects.bulk_update(changed, ["search_text"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [("people", "0008_amendment_extension")]

    operations = [migrations.RunPython(refold, migrations.RunPython.noop)]
