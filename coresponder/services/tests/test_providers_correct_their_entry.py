"""A provider corrects its own directory entry on the web: contact details, the words
about who it takes and what it costs, its languages and its weekly hours. Only those who
update the service's capacity may; an edit over a newer one is refused, never saved over
it; and the next directory file that lists the service puts back what the file says."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from coresponder.core.audit import SYSTEM, Actor
from coresponder.core.errors import ActionError
from coresponder.core.models import AuditEvent
from coresponder.domain.intake import stored_phone
from coresponder.programs.models import Organization, User
from coresponder.programs.tests.form_checks import assert_errors_described
from coresponder.services.actions import edit_service_entry, import_directory
from coresponder.services.entries import Entry, Hours
from coresponder.services.hsds_export import export_directory
from coresponder.services.hsds_format import LOCATION_TIMEZONE
from coresponder.services.models import (
    Location,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceOrganization,
    TaxonomyTerm,
)

pytestmark = pytest.mark.django_db

LINK = "Edit this entry"


@pytest.fixture
def house(provider: User) -> Service:
    """A recovery house the provider's organisation runs, open weekdays 9 to 5."""
    entry = ServiceOrganization.objects.create(
        hsds_id="org-kr", name="Kensington Recovery", partner=provider.organization
    )
    service = Service.objects.create(
        hsds_id="svc-kr",
        organization=entry,
        name="Recovery house",
        phone="2155550100",
        email="intake@kr.example",
        languages=["en"],
        fees_description="Free",
    )
    place = Location.objects.create(
        hsds_id="loc-kr", organization=entry, name="Kensington Ave", timezone="America/New_York"
    )
    here = ServiceAtLocation.objects.create(hsds_id="sal-kr", service=service, location=place)
    Schedule.objects.create(
        hsds_id="sch-kr",
        service_at_location=here,
        freq="WEEKLY",
        byday="MO,TU,WE,TH,FR",
        opens_at=dt.time(9),
        closes_at=dt.time(17),
    )
    return service


def edit_url(service: Service) -> str:
    return f"/programs/pad/services/{service.pk}/edit/"


def page_url(service: Service) -> str:
    return f"/programs/pad/services/{service.pk}/"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def version_on(page: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found, "the form carries no version"
    return found.group(1)


def sent(version: str, **changes: Any) -> dict[str, Any]:
    """The form as the page draws it for the house, with `changes` typed over it."""
    data: dict[str, Any] = {
        "version": version,
        "phone": "(215) 555-0100",
        "email": "intake@kr.example",
        "url": "",
        "description": "",
        "eligibility_description": "",
        "fees_description": "Free",
        "languages": ["en"],
        "hours_0_days": ["MO", "TU", "WE", "TH", "FR"],
        "hours_0_opens": "09:00",
        "hours_0_closes": "17:00",
        "hours_1_opens": "",
        "hours_1_closes": "",
    }
    return data | changes


def hours_of(service: Service) -> list[tuple[str, dt.time | None, dt.time | None]]:
    rows = Schedule.objects.filter(service=service) | Schedule.objects.filter(
        service_at_location__service=service
    )
    return sorted((r.byday, r.opens_at, r.closes_at) for r in rows)


def changes_of(service: Service) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action="change", object_type="services.service", object_id=str(service.pk)
        )
    )


def test_only_a_provider_running_the_service_sees_the_link_and_the_page(
    house: Service, provider: User, coordinator: User, clinician: User, pad: Any
) -> None:
    own = signed_in(provider)
    page = own.get(page_url(house)).content.decode()
    assert LINK in page
    assert f'href="{edit_url(house)}"' in page
    assert own.get(edit_url(house)).status_code == 200

    other_org = Organization.objects.create(slug="other-house", name="Other", kind="provider")
    stranger = User.objects.create_user("other.provider", organization=other_org)
    stranger.memberships.create(program=pad, role=provider.memberships.get().role)
    for user in (coordinator, clinician, stranger):
        client = signed_in(user)
        assert LINK not in client.get(page_url(house)).content.decode()
        assert client.get(edit_url(house)).status_code == 404
        refused = client.post(edit_url(house), sent(str(house.version), phone="2155550111"))
        assert refused.status_code == 404
    house.refresh_from_db()
    assert house.phone == "2155550100"
    assert changes_of(house) == []


def test_the_form_names_languages_and_days_in_words(house: Service, provider: User) -> None:
    Service.objects.filter(pk=house.pk).update(languages=["en", "es-MX"])
    page = signed_in(provider).get(edit_url(house)).content.decode()
    assert ">English</label>" in page
    assert ">Spanish</label>" in page
    assert ">Haitian Creole</label>" in page
    assert ">Monday</label>" in page
    assert ">es-MX<" not in page and ">en<" not in page and ">MO<" not in page
    assert "Eastern time" in page  # the hours are in the place's zone, and it says which


def test_a_provider_corrects_the_entry_and_the_change_is_audited(
    house: Service, provider: User
) -> None:
    client = signed_in(provider)
    version = version_on(client.get(edit_url(house)).content.decode())
    saved = client.post(
        edit_url(house),
        sent(
            version,
            phone="+1 215-555-0199",
            email="new@kr.example",
            url="https://kr.example/house",
            eligibility_description="Adults 18 and over",
            languages=["en", "es"],
            hours_0_days=["MO", "WE"],
            hours_0_opens="08:30",
            hours_0_closes="20:00",
            hours_1_days=["SA"],
            hours_1_opens="10:00",
            hours_1_closes="14:00",
        ),
    )
    assert saved.status_code == 302
    assert saved["Location"] == page_url(house)

    house.refresh_from_db()
    assert house.phone == "+12155550199"
    assert house.email == "new@kr.example"
    assert house.url == "https://kr.example/house"
    assert house.eligibility_description == "Adults 18 and over"
    assert house.languages == ["en", "es"]
    assert house.version == int(version) + 1
    assert hours_of(house) == [
        ("MO,WE", dt.time(8, 30), dt.time(20)),
        ("SA", dt.time(10), dt.time(14)),
    ]

    [event] = changes_of(house)
    changed = event.detail["changed"]
    assert changed["phone"] == {"from": "2155550100", "to": "+12155550199"}
    assert changed["languages"] == {"from": ["en"], "to": ["en", "es"]}
    assert "hours" in changed
    assert "fees_description" not in changed  # left as it was

    shown = client.get(page_url(house)).content.decode()
    assert "+1 (215) 555-0199" in shown
    assert "English, Spanish" in shown
    assert "Adults 18 and over" in shown


def test_an_edit_over_a_newer_one_is_refused_and_shows_what_now_stands(
    house: Service, provider: User
) -> None:
    tab_a = signed_in(provider)
    tab_b = signed_in(provider)
    seen = version_on(tab_a.get(edit_url(house)).content.decode())
    assert version_on(tab_b.get(edit_url(house)).content.decode()) == seen

    assert tab_a.post(edit_url(house), sent(seen, phone="2155550122")).status_code == 302
    refused = tab_b.post(edit_url(house), sent(seen, email="late@kr.example"))

    assert refused.status_code == 409
    html = refused.content.decode()
    assert "Changed by someone else" in html
    assert "(215) 555-0122" in html  # the phone as it now stands
    assert 'value="late@kr.example"' in html  # what was typed, kept
    house.refresh_from_db()
    assert (house.phone, house.email) == ("2155550122", "intake@kr.example")
    assert len(changes_of(house)) == 1
    # Sent again from the refusal, it carries the version now stored and is saved.
    again = tab_b.post(
        edit_url(house), sent(version_on(html), phone="2155550122", email="late@kr.example")
    )
    assert again.status_code == 302
    house.refresh_from_db()
    assert house.email == "late@kr.example"


def test_an_edit_drawn_before_an_import_changed_the_hours_is_refused(
    house: Service, provider: User
) -> None:
    """Hours a directory file changed make the page the provider opened before it stale,
    though the file left the rest of the entry as it was."""
    client = signed_in(provider)
    seen = version_on(client.get(edit_url(house)).content.decode())
    file = export_directory()
    (hours,) = [row for row in file["schedules"] if row["id"] == "sch-kr"]
    hours["opens_at"] = "08:00"
    counts = import_directory(SYSTEM, file).counts
    assert counts["schedule"] == {"updated": 1}
    assert counts["service"] == {"unchanged": 1}

    refused = client.post(edit_url(house), sent(seen, phone="2155550199"))

    assert refused.status_code == 409
    html = refused.content.decode()
    assert "Changed by someone else" in html
    assert "08:00–17:00" in html  # the hours as they now stand
    house.refresh_from_db()
    assert house.phone == "2155550100"
    assert hours_of(house) == [("MO,TU,WE,TH,FR", dt.time(8), dt.time(17))]
    assert changes_of(house) == []


def test_the_same_edit_sent_twice_is_saved_once(house: Service, provider: User) -> None:
    client = signed_in(provider)
    data = sent(str(house.version), fees_description="Sliding scale")
    assert client.post(edit_url(house), data).status_code == 302
    second = client.post(edit_url(house), data, follow=True)
    assert second.status_code == 200
    assert "That was saved already" in second.content.decode()
    assert len(changes_of(house)) == 1


def test_wrong_contact_details_are_refused_beside_their_fields(
    house: Service, provider: User
) -> None:
    client = signed_in(provider)
    refused = client.post(
        edit_url(house),
        sent(
            str(house.version),
            phone="12",
            email="not an address",
            url="javascript:alert(1)",
            description="Twelve beds",
        ),
    )
    assert refused.status_code == 422
    assert_errors_described(refused)
    html = refused.content.decode()
    assert "Give a phone number with 7 to 15 digits" in html
    assert "Enter a valid email address" in html
    assert "Enter a valid URL" in html
    assert "Twelve beds" in html  # kept as typed
    house.refresh_from_db()
    assert house.phone == "2155550100"
    assert changes_of(house) == []


def test_hours_must_name_a_day_and_close_at_another_time(house: Service, provider: User) -> None:
    client = signed_in(provider)
    refused = client.post(
        edit_url(house),
        sent(
            str(house.version),
            hours_0_opens="09:00",
            hours_0_closes="09:00",
            hours_1_days=[],
            hours_1_opens="10:00",
            hours_1_closes="12:00",
        ),
    )
    assert refused.status_code == 422
    assert_errors_described(refused)
    html = refused.content.decode()
    assert "Give a closing time other than the opening time" in html
    assert "Choose at least one day" in html
    assert hours_of(house) == [("MO,TU,WE,TH,FR", dt.time(9), dt.time(17))]


def test_the_write_refuses_what_the_form_would_not_send(house: Service, provider: User) -> None:
    """Whoever calls it, the action checks the languages are BCP 47 tags and the hours."""
    typed = Entry(
        phone="2155550100",
        languages=("en", "English!"),
        hours=(Hours(days=(), opens=dt.time(9), closes=dt.time(8)),),
    )
    with pytest.raises(ActionError) as refused:
        edit_service_entry(Actor(provider), house, typed, house.version, "America/New_York")
    assert set(refused.value.errors) == {"languages", "hours"}


def test_the_next_directory_file_puts_back_what_it_says(house: Service, provider: User) -> None:
    file = export_directory()
    client = signed_in(provider)
    data = sent(
        str(house.version),
        phone="2155550199",
        hours_0_days=["SA", "SU"],
        hours_1_days=["MO"],
        hours_1_opens="07:00",
        hours_1_closes="09:00",
    )
    assert client.post(edit_url(house), data).status_code == 302
    assert len(hours_of(house)) == 2

    result = import_directory(SYSTEM, file)

    house.refresh_from_db()
    assert house.phone == "2155550100"
    assert hours_of(house) == [("MO,TU,WE,TH,FR", dt.time(9), dt.time(17))]
    assert result.counts["schedule"]["replaced"] == 2


def test_a_phone_is_kept_as_the_directory_keeps_numbers() -> None:
    assert stored_phone(" (215) 555-0100 ") == "2155550100"
    assert stored_phone("1 215 555 0100") == "2155550100"
    assert stored_phone("+1 (215) 555-0100") == "+12155550100"
    assert stored_phone("215-555-0100  ext. 12") == "215-555-0100 ext. 12"
    assert stored_phone("+44 20 7946 0958") == "+44 20 7946 0958"
    assert stored_phone("") == ""


def test_an_edit_drawn_before_an_import_changed_only_the_categories_is_refused(
    house: Service, provider: User
) -> None:
    """Categories a directory file changed are part of the entry the provider read too."""
    TaxonomyTerm.objects.create(code="recovery_housing", name="Recovery housing")
    client = signed_in(provider)
    seen = version_on(client.get(edit_url(house)).content.decode())
    file = export_directory()
    (service,) = file["services"]
    service["attributes"] = [
        {
            "id": "svc-kr-attribute-recovery_housing",
            "link_id": "svc-kr",
            "link_entity": "service",
            "taxonomy_term_id": "recovery_housing",
        }
    ]
    import_directory(SYSTEM, file)
    assert list(house.taxonomy_terms.values_list("code", flat=True)) == ["recovery_housing"]

    refused = client.post(edit_url(house), sent(seen, phone="2155550199"))

    assert refused.status_code == 409
    house.refresh_from_db()
    assert house.phone == "2155550100"
    assert changes_of(house) == []


def test_an_edit_drawn_before_an_import_moved_the_place_to_another_zone_is_refused(
    house: Service, provider: User
) -> None:
    """The hours are typed on the place's clock: a file that moves the place's zone makes
    the page drawn on the old clock stale, though it left the service itself alone."""
    client = signed_in(provider)
    seen = version_on(client.get(edit_url(house)).content.decode())
    file = export_directory()
    (place,) = file["locations"]
    place[LOCATION_TIMEZONE] = "America/Chicago"
    import_directory(SYSTEM, file)

    refused = client.post(edit_url(house), sent(seen, hours_0_opens="08:00"))

    assert refused.status_code == 409
    assert hours_of(house) == [("MO,TU,WE,TH,FR", dt.time(9), dt.time(17))]


def open_then(api: Client, service: Service, at: str) -> bool | None:
    answer = api.get(f"/api/v1/services/{service.pk}", {"at": at})
    assert answer.status_code == 200, answer.content
    opened: bool | None = answer.json()["open"]
    return opened


def test_hours_that_close_after_midnight_close_on_the_next_day(
    house: Service, provider: User, api_client_for: Callable[[User], Client]
) -> None:
    """A crisis centre open Monday 20:00 to 02:00 is open at 01:00 on Tuesday, and kept as
    a directory file keeps such hours: on the day it opens, closing before it opens."""
    client = signed_in(provider)
    saved = client.post(
        edit_url(house),
        sent(
            str(house.version),
            hours_0_days=["MO"],
            hours_0_opens="20:00",
            hours_0_closes="02:00",
            hours_1_days=["SA"],
            hours_1_opens="22:00",
            hours_1_closes="06:00",
        ),
    )
    assert saved.status_code == 302
    assert hours_of(house) == [("MO", dt.time(20), dt.time(2)), ("SA", dt.time(22), dt.time(6))]
    shown = client.get(page_url(house)).content.decode()
    assert "Mon 20:00–02:00 (next day)" in shown
    drawn = client.get(edit_url(house)).content.decode()
    assert 'value="20:00"' in drawn and 'value="02:00"' in drawn

    api = api_client_for(provider)
    # Monday 2 March 2026 and the small hours of Tuesday, in New York.
    assert open_then(api, house, "2026-03-02T23:30:00-05:00") is True
    assert open_then(api, house, "2026-03-03T01:00:00-05:00") is True
    assert open_then(api, house, "2026-03-03T02:00:00-05:00") is False
    assert open_then(api, house, "2026-03-02T01:00:00-05:00") is False  # Sunday's night
    # Saturday 7 March 2026, the night New York's clocks jump from 02:00 to 03:00: the
    # place closes at 06:00 on the wall clock, which is 10:00 UTC that morning.
    assert open_then(api, house, "2026-03-08T09:59:00Z") is True
    assert open_then(api, house, "2026-03-08T10:00:00Z") is False
    # Saturday 31 October 2026, the night the clocks fall back from 02:00 to 01:00: the
    # night is an hour longer, and the place still closes at 06:00 EST (11:00 UTC).
    assert open_then(api, house, "2026-11-01T10:59:00Z") is True
    assert open_then(api, house, "2026-11-01T11:00:00Z") is False

    # The same hours from a directory file read alike, and an export gives back what it read.
    (row,) = [r for r in export_directory()["schedules"] if r["byday"] == "MO"]
    assert (row["opens_at"], row["closes_at"]) == ("20:00:00", "02:00:00")


@pytest.fixture
def two_places(house: Service) -> ServiceAtLocation:
    """A second place for the house, in Pittsburgh, open only Saturday nights."""
    place = Location.objects.create(
        hsds_id="loc-kr-west", name="West End", timezone="America/New_York"
    )
    there = ServiceAtLocation.objects.create(hsds_id="sal-kr-west", service=house, location=place)
    Schedule.objects.create(
        hsds_id="sch-kr-west",
        service_at_location=there,
        freq="WEEKLY",
        byday="SA",
        opens_at=dt.time(20),
        closes_at=dt.time(2),
    )
    return there


def hours_by_place(service: Service) -> dict[str, list[tuple[str, dt.time | None]]]:
    rows = Schedule.objects.filter(service_at_location__service=service)
    found: dict[str, list[tuple[str, dt.time | None]]] = {}
    for row in rows.select_related("service_at_location__location").order_by("byday"):
        name = row.service_at_location.location.name  # type: ignore[union-attr]
        found.setdefault(name, []).append((row.byday, row.opens_at))
    assert not Schedule.objects.filter(service=service).exists()
    return found


def test_a_service_at_two_places_has_the_hours_of_each_edited_apart(
    house: Service, two_places: ServiceAtLocation, provider: User
) -> None:
    file = export_directory()
    client = signed_in(provider)
    page = client.get(edit_url(house)).content.decode()
    assert "Hours at Kensington Ave" in page and "Hours at West End" in page
    west = f"hours_at_{two_places.pk}"
    kensington = f"hours_at_{ServiceAtLocation.objects.get(hsds_id='sal-kr').pk}"
    assert f'name="{west}_0_opens" value="20:00"' in page

    data = sent(version_on(page))
    for name in [key for key in data if key.startswith("hours_")]:
        del data[name]
    data |= {
        f"{kensington}_0_days": ["MO", "TU", "WE", "TH", "FR"],
        f"{kensington}_0_opens": "09:00",
        f"{kensington}_0_closes": "17:00",
        f"{west}_0_days": ["FR", "SA"],
        f"{west}_0_opens": "21:00",
        f"{west}_0_closes": "03:00",
    }
    saved = client.post(edit_url(house), data)

    assert saved.status_code == 302
    assert hours_by_place(house) == {
        "Kensington Ave": [("MO,TU,WE,TH,FR", dt.time(9))],
        "West End": [("FR,SA", dt.time(21))],
    }
    [event] = changes_of(house)
    assert event.detail["changed"]["hours"]["to"] == [
        "Kensington Ave: Mon, Tue, Wed, Thu, Fri 09:00–17:00",
        "West End: Fri, Sat 21:00–03:00 (next day)",
    ]
    # The next directory file that lists the service puts each place's own hours back.
    result = import_directory(SYSTEM, file)
    assert result.counts["schedule"]["replaced"] == 2
    assert hours_by_place(house) == {
        "Kensington Ave": [("MO,TU,WE,TH,FR", dt.time(9))],
        "West End": [("SA", dt.time(20))],
    }


def test_hours_naming_no_place_are_refused_for_a_service_at_two_places(
    house: Service, two_places: ServiceAtLocation, provider: User
) -> None:
    """One set of hours for every place would flatten each place's own: refused, and each
    place keeps its hours."""
    typed = Entry(
        phone="2155550100",
        email="intake@kr.example",
        fees_description="Free",
        languages=("en",),
        hours=(Hours(days=("MO",), opens=dt.time(8), closes=dt.time(12)),),
    )
    with pytest.raises(ActionError) as refused:
        edit_service_entry(Actor(provider), house, typed, house.version, "America/New_York")
    assert "more than one place" in refused.value.errors["hours"][0]
    assert hours_by_place(house) == {
        "Kensington Ave": [("MO,TU,WE,TH,FR", dt.time(9))],
        "West End": [("SA", dt.time(20))],
    }


def test_a_phone_with_an_extension_is_a_link_a_phone_can_dial(
    house: Service, clinician: User
) -> None:
    Service.objects.filter(pk=house.pk).update(phone="215-555-0100 ext. 12")
    client = signed_in(clinician)
    page = client.get(page_url(house)).content.decode()
    assert 'href="tel:2155550100;ext=12"' in page
    found = client.get("/programs/pad/services/", {"near": "Philadelphia"}).content.decode()
    assert 'href="tel:2155550100;ext=12"' in found
    assert "215-555-0100 ext. 12</a>" in found
