"""The service directory in the web UI: a phone-first search and one service's page.

Any member of the program may search; the directory holds no person data. When
the search starts from a person (`?person=<id>`), their address is used only if
the gate shows that person's contact details to the reader, and that read is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from coresponder.core.errors import ActionError, StaleVersion
from coresponder.core.forms import add_action_errors
from coresponder.core.http import actor_for
from coresponder.domain.clock import date_sentence
from coresponder.domain.directory import CATEGORY_GROUPS, KM_PER_MILE, describe_opening
from coresponder.domain.policy import FieldGroup
from coresponder.domain.presets import SERVICE_CATEGORIES
from coresponder.domain.vocabulary import humanize, label
from coresponder.privacy.access import PersonAccess, access_person
from coresponder.privacy.actions import record_person_read
from coresponder.programs.middleware import open_program
from coresponder.programs.models import Program
from coresponder.services import actions
from coresponder.services.actions import may_edit_service
from coresponder.services.directory_api import service_detail
from coresponder.services.entries import (
    Entry,
    entry_of,
    hour_sets,
    language_choices,
    other_hours,
    tidied,
    zone_of,
)
from coresponder.services.forms import ServiceEntryForm, entry_initial, rows_sent, rows_shown
from coresponder.services.models import Service, TaxonomyTerm
from coresponder.services.referral_access import (
    NOT_THIS_PROGRAMS,
    may_refer,
    takes_referrals_from,
    taking_referrals_from,
)
from coresponder.services.search import (
    Capacity,
    SearchParams,
    ServiceHit,
    directory_queryset,
    opening_of,
    search_services,
)
from coresponder.services.units import free_words

RADIUS_MILES = (5, 10, 25, 50, 100)
LANGUAGES = (("en", "English"), ("es", "Spanish"), ("pt", "Portuguese"), ("ht", "Haitian Creole"))
INSURANCE = ("Medicaid", "Medicare", "Private insurance", "Uninsured accepted")
PERSON_PLACE = "person"


def _person(request: HttpRequest, raw: str | None) -> PersonAccess | None:
    if not raw:
        return None
    return access_person(request.user, raw)


def _person_point(access: PersonAccess | None) -> tuple[float, float] | None:
    """The person's coordinates, when the reader may see contact details and they are known."""
    if access is None or not access.shows(FieldGroup.CONTACT):
        return None
    person = access.person
    if person.latitude is None or person.longitude is None:
        return None
    return person.latitude, person.longitude


def category_choices(program: Program) -> list[tuple[str, str]]:
    """The program's own categories first, then every other; "Any MOUD" leads its group."""
    names = dict(TaxonomyTerm.objects.values_list("code", "name"))
    own = list(program.rules.service_categories)
    rest = sorted(SERVICE_CATEGORIES - set(own))
    choices = [(code, names.get(code) or humanize(code)) for code in own + rest]
    if any(code in CATEGORY_GROUPS["moud"] for code in own + rest):
        choices.insert(0, ("moud", "Any MOUD (methadone, buprenorphine or naltrexone)"))
    return choices


def _asked_time(request: HttpRequest, zone: ZoneInfo, errors: dict[str, list[str]]) -> Any:
    """The time asked about, read on the program's clock; None means now."""
    if request.GET.get("when") != "at":
        return None
    try:
        day = dt.date.fromisoformat(request.GET.get("at_date", ""))
        clock = dt.time.fromisoformat(request.GET.get("at_time", ""))
    except ValueError:
        errors["open_at"] = ["Give a date and a time, or choose “Open now”."]
        return None
    if sentence := date_sentence(day):
        errors["open_at"] = [sentence]
        return None
    return dt.datetime.combine(day, clock, tzinfo=zone)


def _radius_km(raw: str | None, errors: dict[str, list[str]]) -> float | None:
    if not raw:
        return None
    try:
        miles = float(raw)
    except ValueError:
        errors["radius_km"] = ["Choose a distance from the list."]
        return None
    return miles * KM_PER_MILE


def _age(updated: dt.datetime, now: dt.datetime) -> str:
    minutes = max(0, int((now - updated).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // (24 * 60)} days ago"


def capacity_text(capacity: Capacity | None, now: dt.datetime) -> dict[str, Any] | None:
    """ "3 beds free · updated 2 h ago", and whether the count is stale."""
    if capacity is None:
        return None
    free = free_words(capacity.available, capacity.unit, capacity.maximum)
    return {"free": free, "age": _age(capacity.updated, now), "stale": capacity.stale}


def distance_text(hit: ServiceHit) -> str:
    """ "12.4 mi (20.0 km)"."""
    if hit.distance_km is None or hit.distance_miles is None:
        return ""
    return f"{hit.distance_miles:.1f} mi ({hit.distance_km:.1f} km)"


def refer_url(person_id: int, service_id: int, program: Program) -> str:
    query = urlencode({"service": service_id, "program": program.slug})
    return f"/people/{person_id}/refer/?{query}"


def _refer_for(access: PersonAccess | None, program: Program) -> int | None:
    """The person a "Refer" button sends, when the reader may refer them in this program."""
    if access is None or not may_refer(access.roles.get(program.pk)):
        return None
    return access.person.pk


def _card(
    hit: ServiceHit, program: Program, refer_for: int | None, now: dt.datetime
) -> dict[str, Any]:
    service = hit.service
    names = {term.code: term.name for term in service.taxonomy_terms.all()}
    return {
        "id": service.pk,
        "name": service.name,
        "organization": service.organization.name,
        "categories": [names.get(code) or humanize(code) for code in hit.categories],
        "distance": distance_text(hit),
        "location": hit.location.name if hit.location else "",
        "open": hit.open,
        "capacity": capacity_text(hit.capacity, now),
        "phone": service.phone,
        "languages": service.languages,
        "refer_url": refer_url(refer_for, service.pk, program) if refer_for else "",
    }


def _cards(
    hits: list[ServiceHit], program: Program, refer_for: int | None, now: dt.datetime
) -> list[dict[str, Any]]:
    """The result cards; only a service that takes the program's referrals offers "Refer"."""
    taking = set(
        Service.objects.filter(pk__in=[hit.service.pk for hit in hits])
        .filter(taking_referrals_from(program))
        .values_list("pk", flat=True)
        if refer_for
        else ()
    )
    return [
        _card(hit, program, refer_for if hit.service.pk in taking else None, now) for hit in hits
    ]


@login_required
@require_GET
def search(request: HttpRequest, slug: str) -> HttpResponse:
    """Search form on top, result cards below; nearest first."""
    program = open_program(request, slug)
    zone = ZoneInfo(program.timezone)
    now = timezone.now()
    access = _person(request, request.GET.get("person"))
    person_point = _person_point(access)
    area_name = program.rules.area.name
    place = request.GET.get("from") or (PERSON_PLACE if person_point else "address")
    near_text = request.GET.get("near", area_name).strip()
    errors: dict[str, list[str]] = {}
    asked = _asked_time(request, zone, errors)
    radius_km = _radius_km(request.GET.get("radius"), errors)
    categories = tuple(code for code in request.GET.getlist("category") if code)
    use_person = place == PERSON_PLACE and person_point is not None
    result = None
    if not errors:
        try:
            result = search_services(
                SearchParams(
                    now=now,
                    categories=categories,
                    near=person_point if use_person else None,
                    address="" if use_person else near_text,
                    radius_km=radius_km,
                    open_at=asked,
                    language=request.GET.get("language", ""),
                    insurance=request.GET.get("insurance", ""),
                    page=_page(request.GET.get("page")),
                    program=program,
                    open_only=request.GET.get("open_only") == "1",
                    places_free=request.GET.get("places_free") == "1",
                )
            )
        except ActionError as exc:
            errors = exc.errors or {"__all__": [str(exc)]}
    if use_person and access is not None:
        record_person_read(actor_for(request), access, channel="web", purpose="service search")
    person_id = access.person.pk if access is not None else None
    refer_for = _refer_for(access, program)
    filters = {key: request.GET.getlist(key) for key in request.GET if key != "page"}
    context = {
        "program": program,
        "categories": category_choices(program),
        "chosen_categories": categories,
        "near_text": near_text,
        "person_id": person_id,
        "person_point": person_point,
        "use_person": use_person,
        "when": "at" if request.GET.get("when") == "at" else "now",
        "at_date": request.GET.get("at_date") or timezone.localtime(now, zone).date().isoformat(),
        "at_time": request.GET.get("at_time") or timezone.localtime(now, zone).strftime("%H:%M"),
        "radius_choices": RADIUS_MILES,
        "radius": request.GET.get("radius", ""),
        "languages": LANGUAGES,
        "language": request.GET.get("language", ""),
        "insurance_choices": INSURANCE,
        "insurance": request.GET.get("insurance", ""),
        "open_only": request.GET.get("open_only") == "1",
        "places_free": request.GET.get("places_free") == "1",
        "errors": errors,
        "search_query": request.GET.urlencode(),
        "result": result,
        "cards": _cards(result.hits, program, refer_for, now) if result else [],
        "previous_page": _page_link(filters, result.page - 1)
        if result and result.page > 1
        else None,
        "next_page": (
            _page_link(filters, result.page + 1) if result and result.page < result.pages else None
        ),
    }
    return render(request, "services/directory/search.html", context, status=422 if errors else 200)


def _page(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


def _page_link(filters: dict[str, list[str]], page: int) -> str:
    return urlencode([*((k, v) for k, values in filters.items() for v in values), ("page", page)])


@login_required
@require_GET
def service_page(request: HttpRequest, slug: str, service_id: int) -> HttpResponse:
    """One service: where, when, who it takes, what it costs, how many places are free."""
    program = open_program(request, slug)
    service = directory_queryset(active_only=False).filter(pk=service_id).first()
    if service is None:
        raise Http404("No such service")
    access = _person(request, request.GET.get("person"))
    now = timezone.now()
    detail = service_detail(service, now, now, program.timezone)
    capacity = detail["capacity"]
    names = {term.code: term.name for term in service.taxonomy_terms.all()}
    # A service not taking referrals says so on its page; no button leads to a form for it.
    refer_for = _refer_for(access, program) if service.status == Service.Status.ACTIVE else None
    # Nor does one whose organisation takes no referrals from this program.
    elsewhere = not takes_referrals_from(service, program)
    if elsewhere:
        refer_for = None
    context = {
        "program": program,
        "service": detail,
        "category_names": [names.get(code) or humanize(code) for code in detail["categories"]],
        "capacity": capacity_text(Capacity(**capacity), now) if capacity else None,
        "refer_url": refer_url(refer_for, service.pk, program) if refer_for else "",
        "person_id": access.person.pk if access else None,
        "not_from_program": NOT_THIS_PROGRAMS if elsewhere else "",
        "may_edit": may_edit_service(request.user, service),
        "search_query": _search_asked(request.GET.get("search", "")),
    }
    return render(request, "services/directory/service.html", context)


def _search_asked(search: str) -> str:
    """The search a service was opened from, as the query string its page links back to:
    read as a query string and written again, so nothing else rides along."""
    return QueryDict(search).urlencode() if search else ""


# --- A provider corrects its entry ---------------------------------------------------

STALE_MESSAGE = "Changed by someone else — review and retry."
ALREADY_SO = "That was saved already; nothing changed."
SAVED = "Entry saved."
NOTHING_CHANGED = "Nothing was changed: the entry already said that."


@login_required
@require_http_methods(["GET", "POST"])
def edit_entry(request: HttpRequest, slug: str, service_id: int) -> HttpResponse:
    """The provider running a service corrects its entry: contact details, words,
    languages and weekly hours; anyone else finds no such page."""
    program = open_program(request, slug)
    service = Service.objects.select_related("organization").filter(pk=service_id).first()
    if service is None or not may_edit_service(request.user, service):
        raise Http404("No such service")
    zone = zone_of(service, program.timezone)
    current = entry_of(service)
    choices = language_choices(current.languages)
    sets = hour_sets(service, program.timezone)
    if request.method == "GET":
        form = ServiceEntryForm(
            initial=entry_initial(current, service.version),
            languages=choices,
            sets=rows_shown(current, sets),
        )
        return _edit_page(request, program, service, form, zone)
    form = ServiceEntryForm(request.POST, languages=choices, sets=rows_sent(request.POST, sets))
    if not form.is_valid():
        return _edit_page(request, program, service, form, zone, status=422)
    typed = form.entry()
    try:
        saved = actions.edit_service_entry(
            actor_for(request), service, typed, form.cleaned_data["version"], zone
        )
    except StaleVersion:
        service.refresh_from_db()
        now_stands = entry_of(service)
        if now_stands == tidied(typed):
            # Sent twice (a double tap, Back and send): what was typed is what stands.
            messages.info(request, ALREADY_SO)
            return redirect("service-detail", slug=program.slug, service_id=service.pk)
        data = request.POST.copy()
        data["version"] = str(service.version)
        # Offered again: the languages either entry names, so what was ticked stays ticked.
        choices = language_choices((*current.languages, *now_stands.languages))
        form = ServiceEntryForm(data, languages=choices, sets=rows_sent(data, sets))
        form.is_valid()
        form.add_error(None, STALE_MESSAGE)
        return _edit_page(request, program, service, form, zone, now_stands, status=409)
    except ActionError as exc:
        add_action_errors(form, exc)
        return _edit_page(request, program, service, form, zone, status=422)
    messages.success(request, SAVED if saved.version != service.version else NOTHING_CHANGED)
    return redirect("service-detail", slug=program.slug, service_id=service.pk)


def _edit_page(
    request: HttpRequest,
    program: Program,
    service: Service,
    form: ServiceEntryForm,
    zone: str,
    now_stands: Entry | None = None,
    status: int = 200,
) -> HttpResponse:
    """The form; `now_stands`, the entry as someone else saved it over the one read."""
    context = {
        "program": program,
        "service": service,
        "form": form,
        "hour_sets": form.hour_sets(),
        "zone": zone,
        "other_hours": [describe_opening(opening_of(row, zone)) for row in other_hours(service)],
        "now_stands": now_stands,
        "now_languages": [label("language", code) for code in now_stands.languages]
        if now_stands
        else [],
    }
    return render(request, "services/directory/edit.html", context, status=status)
