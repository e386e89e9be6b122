"""Which audit events a coordinator may review, and the filters they narrow them by.

A coordinator reviews the events of the programs they coordinate: events filed
under the program, and events filed under no program about a person who takes
part in it. An administrator reviews every event. Nobody else reviews the trail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.apps import apps
from django.db.models import Q, QuerySet

from coresponder.core.audit import UNAUTHENTICATED
from coresponder.core.forms import PlainTextForm
from coresponder.core.models import AuditEvent
from coresponder.domain.vocabulary import Role, label, labels_of
from coresponder.people.models import Participation
from coresponder.privacy.access import is_admin
from coresponder.programs.models import Program

# PostgreSQL's bigint; a larger person id would fail in the database, not match nothing.
MAX_PERSON_ID = 2**63 - 1


@dataclass(frozen=True)
class AuditScope:
    """The programs whose events a reviewer sees; `everything` for an administrator."""

    programs: tuple[Program, ...]
    everything: bool = False

    @property
    def slugs(self) -> list[str]:
        """The slugs the programs' events are filed under, those before a rename too."""
        return [slug for program in self.programs for slug in program.filed_as]

    def slugs_of(self, slug: str) -> list[str]:
        """The slugs the program now called `slug` filed its events under."""
        for program in self.programs:
            if program.slug == slug:
                return list(program.filed_as)
        return [slug]


def audit_scope(user: Any) -> AuditScope | None:
    """The reviewer's scope, or None when the user may not review the audit trail."""
    if not user.is_authenticated or not user.is_active:
        return None
    if is_admin(user):
        return AuditScope(programs=tuple(Program.objects.order_by("slug")), everything=True)
    coordinated = Program.objects.filter(
        memberships__user=user, memberships__active=True, memberships__role=Role.COORDINATOR
    ).distinct()
    programs = tuple(coordinated.order_by("slug"))
    return AuditScope(programs=programs) if programs else None


def events_of_programs(slugs: list[str]) -> Q:
    """Events filed under the programs, or filed under none and about a person who takes
    part in one of them. An event another program filed (its staff reading its own
    records of someone both programs know, its consents, its openings) is its to review:
    seen from here it would tell what that program holds."""
    participants = Participation.objects.filter(program__slug__in=slugs).values("person_id")
    return Q(program_slug__in=slugs) | Q(program_slug="", person_id__in=participants)


def object_label(object_type: str) -> str:
    """What kind of record an event is about, in words: "Legal hold" for
    operations.legalhold, "Audit log" for audit_log."""
    if not object_type:
        return ""
    if object_type in labels_of("audit_object"):
        return label("audit_object", object_type)
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return label("audit_object", object_type.rsplit(".", 1)[-1]).capitalize()
    return str(model._meta.verbose_name).capitalize()


def object_kinds() -> list[tuple[str, str]]:
    """Every kind of record an event may be about, by its words, for the filter: the
    stored records of ours and the other things events are about. Where two would read
    alike (a record that moved app keeps the type its events were written with), the
    one events are written with is offered."""
    by_words: dict[str, str] = {}
    for model in apps.get_models():
        if model.__module__.startswith("coresponder."):
            by_words.setdefault(object_label(model._meta.label_lower), model._meta.label_lower)
    for code, words in labels_of("audit_object").items():
        by_words[words] = code
    return sorted(((code, words) for words, code in by_words.items()), key=lambda kind: kind[1])


class AuditFilterForm(PlainTextForm):
    """The GET form above the audit table; every field may be left blank."""

    actor = forms.CharField(label="Actor (user name)", required=False, max_length=200)
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Any action"), *AuditEvent.Action.choices]
    )
    outcome = forms.ChoiceField(
        label="Outcome",
        required=False,
        choices=[("", "Any outcome"), *AuditEvent.Outcome.choices],
    )
    person = forms.IntegerField(
        label="Person id", required=False, min_value=1, max_value=MAX_PERSON_ID
    )
    object_type = forms.ChoiceField(label="Kind of record", required=False)
    date_from = forms.DateField(
        label="From (date)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To (date, inclusive)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    program = forms.ChoiceField(label="Program", required=False)

    def __init__(self, data: Any, scope: AuditScope) -> None:
        super().__init__(data)
        kinds = cast(forms.ChoiceField, self.fields["object_type"])
        kinds.choices = [("", "Any kind of record"), *object_kinds()]
        program_field = cast(forms.ChoiceField, self.fields["program"])
        program_field.choices = [
            ("", "All your programs" if not scope.everything else "Every program"),
            *[(p.slug, p.name) for p in scope.programs],
        ]
        for field in self.fields.values():
            css = "usa-select" if isinstance(field, forms.ChoiceField) else "usa-input"
            field.widget.attrs["class"] = css

    def full_clean(self) -> None:
        super().full_clean()
        # Screen readers announce a field's error with the field (USWDS error pattern).
        for name in self.errors:
            if name in self.fields:
                ids = [f"id_{name}_error"]
                if self.fields[name].help_text:
                    ids.append(f"id_{name}_helptext")
                self.fields[name].widget.attrs["aria-describedby"] = " ".join(ids)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def chosen(self) -> dict[str, str]:
        """The filters in use, as text, for the audit event that records this review."""
        if not self.is_valid():
            return {}
        return {
            name: value.isoformat() if isinstance(value, dt.date) else str(value)
            for name, value in self.cleaned_data.items()
            if value not in (None, "")
        }


def start_of_day(day: dt.date, zone: dt.tzinfo = dt.UTC) -> dt.datetime:
    """Midnight of `day` on the reviewer's clock, the edge of a date filter."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def reviewable_events(
    scope: AuditScope, filters: dict[str, Any], zone: dt.tzinfo = dt.UTC
) -> QuerySet[AuditEvent]:
    """The events in the reviewer's scope that match the filters, newest first.

    Dates are days on the reviewer's clock (`zone`), as the times on the page are.
    """
    events = AuditEvent.objects.all()
    if not scope.everything:
        events = events.filter(events_of_programs(scope.slugs))
    if filters.get("program"):
        events = events.filter(events_of_programs(scope.slugs_of(filters["program"])))
    if filters.get("actor"):
        # A user name finds the failed sign-ins under it too, kept before anyone signed in.
        name = filters["actor"].strip()
        events = events.filter(
            Q(actor_label__iexact=name) | Q(actor_label__iexact=f"{UNAUTHENTICATED}{name}")
        )
    for name in ("action", "outcome", "object_type"):
        if filters.get(name):
            events = events.filter(**{name: filters[name].strip()})
    if filters.get("person") is not None:
        events = events.filter(person_id=filters["person"])
    if filters.get("date_from"):
        events = events.filter(at__gte=start_of_day(filters["date_from"], zone))
    end: dt.date | None = filters.get("date_to")
    if end is not None and end < dt.date.max:
        events = events.filter(at__lt=start_of_day(end + dt.timedelta(days=1), zone))
    return events.order_by("-at", "-id")
