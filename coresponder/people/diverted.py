"""The prosecutor's list: people diverted in lieu of arrest, found by case number or name.

A name is folded as the people search folds it (case, accents, apostrophes,
nicknames) and looked for only among the people the list shows. A prosecutor
never sees names, so a name finds someone only when it is their whole name,
given and family: nobody can list people by typing a letter. Roles that see
names find by any part of one.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from coresponder.core.audit import record_list_read
from coresponder.core.http import actor_for
from coresponder.domain.policy import FieldGroup
from coresponder.domain.vocabulary import Role
from coresponder.outreach.engagement import engagement_of
from coresponder.privacy.access import (
    diverting_referrals,
    may_read,
    named_like,
    role_in,
    visible_people,
    whole_name,
)
from coresponder.programs.middleware import open_program

PAGE_SIZE = 25
# The prosecutor follows their own diversions; coordinators and administrators oversee them.
DIVERTED_LIST_ROLES = frozenset({Role.PROSECUTOR, Role.COORDINATOR, Role.ADMIN})


@login_required
def diverted_list(request: HttpRequest, slug: str) -> HttpResponse:
    """People the program took in lieu of arrest: person number, case numbers, the day of
    each of their diversions, and whether they engaged since it.

    `q` finds by the start of a case or docket number, or by name (see the module).
    """
    program = open_program(request, slug, roles=DIVERTED_LIST_ROLES)
    role = role_in(request.user, program)
    named = role is not None and may_read(role, FieldGroup.IDENTITY)
    q = request.GET.get("q", "").strip()
    diversions = diverting_referrals(program)
    people = visible_people(request.user).filter(pk__in=diversions.values("person_id"))
    if q:
        by_case = Q(pk__in=diversions.filter(case_number__istartswith=q).values("person_id"))
        by_name = Q(pk__in=named_like(people, q)) if named else Q(pk__in=whole_name(people, q))
        people = people.filter(by_case | by_name)
    people = people.only("id", "given_name", "family_name").order_by("-id")
    page_obj = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page_obj.object_list)
    cases: dict[int, list[str]] = {person.pk: [] for person in shown}
    for person_id, case_number in (
        diversions.filter(person__in=shown)
        .order_by("received_at")
        .values_list("person_id", "case_number")
    ):
        if case_number and case_number not in cases[person_id]:
            cases[person_id].append(case_number)
    # Counted from each diversion, each a case: the contact at the stop, or before an
    # earlier case, says nothing of a case that came after it.
    engagement = engagement_of([person.pk for person in shown], program.pk)
    rows: list[dict[str, Any]] = [
        {
            "id": person.pk,
            "name": f"{person.given_name} {person.family_name}" if named else "",
            "case_numbers": cases[person.pk],
            "diversions": engagement[person.pk].diversions,
            "engaged": engagement[person.pk].engaged,
        }
        for person in shown
    ]
    fields = ["engagement", "identity"] if named else ["engagement"]
    # Filed under the program and under each person shown, so the program's coordinators
    # review a prosecutor's lookups, and a person's review finds them.
    record_list_read(
        actor_for(request),
        object_type="people.person",
        ids=[row["id"] for row in rows],
        program_slug=program.slug,
        fields=fields,
        detail={"diverted": program.slug, "q": q},
    )
    context = {"program": program, "q": q, "page_obj": page_obj, "rows": rows, "named": named}
    return render(request, "people/diverted_list.html", context)
